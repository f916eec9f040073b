#include "serving/oip_dense.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <system_error>

namespace sluice::serving {
namespace {

using Json = nlohmann::json;

// Buffers larger than this are released after use: one huge request must not pin its memory in
// an io thread for ever.
constexpr size_t kKeptValues = 1 << 20;
// Deeper nesting than this anywhere in the body is declined (the general path takes it); it keeps
// the scanner's stack fixed.
constexpr size_t kMaxDepth = 64;
// Larger shapes are declined, so that products cannot overflow.
constexpr uint64_t kMaxDim = uint64_t{1} << 31;

bool IsOipDatatype(std::string_view t) {
  for (std::string_view known : {"FP32", "FP64", "INT64", "INT32", "BOOL", "UINT8", "UINT16",
                                 "UINT32", "UINT64", "INT8", "INT16", "FP16", "BYTES"}) {
    if (t == known) return true;
  }
  return false;
}

// A strict JSON scanner over the body: every method returns false at the first byte it does not
// take, and the caller then declines the whole request. What it takes is what nlohmann's parser
// takes (RFC 8259), minus strings with escapes and a leading byte-order mark.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  const char* position() const { return p_; }

  void SkipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  // Skips space, then takes `c` if it is next.
  bool Take(char c) {
    SkipSpace();
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }
  bool AtEnd() {
    SkipSpace();
    return p_ == end_;
  }

  // A string without escapes: its bytes between the quotes, which are valid UTF-8 (nlohmann keeps
  // them as they are, so names compare byte for byte).
  bool String(std::string_view& out) {
    if (!Take('"')) return false;
    const char* start = p_;
    while (p_ < end_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        out = std::string_view(start, static_cast<size_t>(p_ - start));
        ++p_;
        return true;
      }
      if (c == '\\' || c < 0x20) return false;
      if (c < 0x80) {
        ++p_;
      } else if (!Utf8()) {
        return false;
      }
    }
    return false;
  }

  // An object key and its colon.
  bool Key(std::string_view& out) { return String(out) && Take(':'); }

  // A number by JSON's grammar, read as nlohmann reads it and then widens it to double: integers
  // as int64/uint64 (so "-0" is +0), others, and integers out of range, by strtod. from_chars is
  // correctly rounded like both; its range errors are declined.
  bool Number(double& value) {
    SkipSpace();
    const char* start = p_;
    if (p_ < end_ && *p_ == '-') ++p_;
    if (p_ == end_) return false;
    if (*p_ == '0') {
      ++p_;
    } else if (IsDigit(*p_)) {
      while (p_ < end_ && IsDigit(*p_)) ++p_;
    } else {
      return false;
    }
    bool integer = true;
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      if (!Digits()) return false;
      integer = false;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (!Digits()) return false;
      integer = false;
    }
    auto [end, error] = std::from_chars(start, p_, value);
    if (error != std::errc() || end != p_) return false;
    if (integer && value == 0) value = 0;  // "-0" is the integer 0
    return true;
  }

  // A shape dimension: a plain non-negative integer, at most kMaxDim.
  bool Dim(uint64_t& value) {
    SkipSpace();
    const char* start = p_;
    while (p_ < end_ && IsDigit(*p_)) ++p_;
    if (p_ == start || (*start == '0' && p_ - start > 1)) return false;
    if (p_ < end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E')) return false;
    auto [end, error] = std::from_chars(start, p_, value);
    return error == std::errc() && end == p_ && value <= kMaxDim;
  }

  bool Word(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  // A scalar: a number, true, false or null (NaN). Strings are not numbers.
  bool Scalar(double& value) {
    SkipSpace();
    if (p_ == end_) return false;
    switch (*p_) {
      case 't':
        value = 1;
        return Word("true");
      case 'f':
        value = 0;
        return Word("false");
      case 'n':
        value = std::numeric_limits<double>::quiet_NaN();
        return Word("null");
      default:
        return Number(value);
    }
  }

  // Any JSON value, checked and skipped.
  bool SkipValue() {
    char open[kMaxDepth];  // the closing bracket of each open container
    size_t depth = 0;
    for (;;) {
      // A value.
      SkipSpace();
      if (p_ == end_) return false;
      const char c = *p_;
      if (c == '{' || c == '[') {
        if (depth == kMaxDepth) return false;
        ++p_;
        open[depth++] = c == '{' ? '}' : ']';
        if (Take(open[depth - 1])) {
          --depth;  // empty: a whole value
        } else if (c == '{') {
          std::string_view key;
          if (!Key(key)) return false;
          continue;
        } else {
          continue;
        }
      } else if (c == '"') {
        std::string_view text;
        if (!String(text)) return false;
      } else {
        double ignored;
        if (!Scalar(ignored)) return false;
      }
      // After a value: a comma, or the end of containers.
      for (;;) {
        if (depth == 0) return true;
        if (Take(',')) {
          if (open[depth - 1] == '}') {
            std::string_view key;
            if (!Key(key)) return false;
          }
          break;
        }
        if (!Take(open[depth - 1])) return false;
        --depth;
      }
    }
  }

  // A tensor's data: a scalar or arrays nested to any depth, flattened in order into `out`.
  bool Data(std::vector<double>& out) {
    size_t depth = 0;
    for (;;) {
      SkipSpace();
      if (p_ == end_) return false;
      if (*p_ == '[') {
        ++p_;
        ++depth;
        if (!Take(']')) continue;
        --depth;
      } else {
        double value;
        if (!Scalar(value)) return false;
        out.push_back(value);
      }
      for (;;) {
        if (depth == 0) return true;
        if (Take(',')) break;
        if (!Take(']')) return false;
        --depth;
      }
    }
  }

 private:
  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }
  bool Digits() {
    const char* start = p_;
    while (p_ < end_ && IsDigit(*p_)) ++p_;
    return p_ > start;
  }
  // One multi-byte UTF-8 sequence, well-formed by RFC 3629 (as nlohmann checks it).
  bool Utf8() {
    const auto byte = [&](size_t i) { return static_cast<unsigned char>(p_[i]); };
    const size_t left = static_cast<size_t>(end_ - p_);
    const unsigned char c = byte(0);
    unsigned char low = 0x80, high = 0xBF;
    size_t length;
    if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      if (c == 0xE0) low = 0xA0;
      if (c == 0xED) high = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      if (c == 0xF0) low = 0x90;
      if (c == 0xF4) high = 0x8F;
    } else {
      return false;
    }
    if (left < length || byte(1) < low || byte(1) > high) return false;
    for (size_t i = 2; i < length; ++i) {
      if (byte(i) < 0x80 || byte(i) > 0xBF) return false;
    }
    p_ += length;
    return true;
  }

  const char* p_;
  const char* end_;
};

// A JSON string as nlohmann dumps it, for text that needs no escaping; other text goes through
// nlohmann itself.
void AppendDumpedString(std::string& out, std::string_view text) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7F || c == '"' || c == '\\') {
      out += Json(text).dump();
      return;
    }
  }
  out += '"';
  out += text;
  out += '"';
}

// A double as nlohmann's dump writes it: its serializer's own routine (grisu2, shortest
// round-trip, "1.0" for integers), reached through its detail namespace; OipResponseTest pins the
// bytes against dump() so an upgrade that changes either is caught.
void AppendDumpedNumber(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  char buffer[64];
  char* end = nlohmann::detail::to_chars(buffer, buffer + sizeof(buffer), value);
  out.append(buffer, static_cast<size_t>(end - buffer));
}

void AppendUnsigned(std::string& out, size_t value) {
  char buffer[24];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out.append(buffer, static_cast<size_t>(end - buffer));
}

}  // namespace

bool HasDenseInputs(std::span<const models::InputColumn> inputs) {
  for (const models::InputColumn& input : inputs) {
    const bool numeric = input.type == table::Type::kFloat64 || input.type == table::Type::kInt64 ||
                         input.type == table::Type::kBool;
    if (!numeric || input.encoding != models::Encoding::kNumeric) return false;
  }
  return !inputs.empty();
}

bool DecodeDenseOipRequest(std::string_view body, std::span<const models::InputColumn> inputs,
                           DenseOipRequest& out) {
  using Tensor = DenseOipRequest::Tensor;
  out.values_.clear();
  out.tensors_.clear();
  out.id_ = {};
  out.rows_ = 0;
  if (out.values_.capacity() > kKeptValues) std::vector<double>().swap(out.values_);
  if (out.columns_.capacity() > kKeptValues) std::vector<double>().swap(out.columns_);

  Scanner scan(body);
  bool has_inputs = false;
  bool has_id = false;
  if (!scan.Take('{')) return false;
  if (scan.Take('}')) return false;  // no inputs
  do {
    std::string_view key;
    if (!scan.Key(key)) return false;
    if (key == "inputs") {
      if (has_inputs || !scan.Take('[')) return false;
      has_inputs = true;
      if (scan.Take(']')) return false;  // no tensors
      do {
        if (!scan.Take('{')) return false;
        Tensor t;
        bool has_name = false, has_shape = false, has_datatype = false, has_data = false;
        if (scan.Take('}')) return false;
        do {
          std::string_view field;
          if (!scan.Key(field)) return false;
          if (field == "name") {
            if (has_name || !scan.String(t.name)) return false;
            has_name = true;
          } else if (field == "shape") {
            if (has_shape || !scan.Take('[')) return false;
            has_shape = true;
            do {
              if (t.num_dims == 2 || !scan.Dim(t.dims[t.num_dims])) return false;
              ++t.num_dims;
            } while (scan.Take(','));
            if (!scan.Take(']')) return false;
          } else if (field == "datatype") {
            std::string_view datatype;
            if (has_datatype || !scan.String(datatype) || !IsOipDatatype(datatype)) return false;
            has_datatype = true;
          } else if (field == "data") {
            if (has_data) return false;
            has_data = true;
            t.first = out.values_.size();
            if (!scan.Data(out.values_)) return false;
            t.count = out.values_.size() - t.first;
          } else if (!scan.SkipValue()) {  // parameters, and whatever else the general path ignores
            return false;
          }
        } while (scan.Take(','));
        if (!scan.Take('}') || !has_name || !has_shape || !has_datatype || !has_data) return false;
        const uint64_t expected = t.dims[0] * (t.num_dims == 2 ? t.dims[1] : 1);
        if (t.count != expected) return false;
        out.tensors_.push_back(t);
      } while (scan.Take(','));
      if (!scan.Take(']')) return false;
    } else if (key == "id") {
      if (has_id) return false;
      has_id = true;
      scan.SkipSpace();
      const char* start = scan.position();
      if (!scan.SkipValue()) return false;
      out.id_ = std::string_view(start, static_cast<size_t>(scan.position() - start));
    } else if (!scan.SkipValue()) {  // parameters, outputs: the general path ignores them too
      return false;
    }
  } while (scan.Take(','));
  if (!scan.Take('}') || !scan.AtEnd() || !has_inputs) return false;

  // The layouts DecodeOipRequest takes, decided as it decides them.
  const std::span<const Tensor> tensors = out.tensors_;
  const Tensor& first = tensors[0];
  const size_t k = inputs.size();
  auto is_input = [&](std::string_view name) {
    for (const models::InputColumn& input : inputs) {
      if (input.name == name) return true;
    }
    return false;
  };
  const bool by_position = tensors.size() == 1 && first.num_dims == 2 &&
                           ((first.dims[1] != 1 && !is_input(first.name)) || k == 1);
  if (by_position) {
    if (first.dims[1] != k || first.dims[0] == 0) return false;
    out.rows_ = first.dims[0];
    out.features_ = std::span<const double>(out.values_).subspan(first.first, out.rows_ * k);
    return true;
  }
  // One tensor per input, each [rows] or [rows, 1], every input exactly once.
  if (tensors.size() != k || first.dims[0] == 0) return false;
  const size_t rows = first.dims[0];
  out.columns_.resize(rows * k);
  uint64_t seen = 0;
  std::vector<bool> seen_many;
  if (k > 64) seen_many.assign(k, false);
  for (const Tensor& t : tensors) {
    if ((t.num_dims == 2 && t.dims[1] != 1) || t.dims[0] != rows) return false;
    size_t column = 0;
    while (column < k && inputs[column].name != t.name) ++column;
    if (column == k) return false;
    if (k > 64) {
      if (seen_many[column]) return false;
      seen_many[column] = true;
    } else {
      if ((seen >> column) & 1) return false;
      seen |= uint64_t{1} << column;
    }
    for (size_t r = 0; r < rows; ++r) out.columns_[r * k + column] = out.values_[t.first + r];
  }
  // k distinct tensors each naming an input: every input is covered.
  out.rows_ = rows;
  out.features_ = out.columns_;
  return true;
}

table::Table DenseRequestTable(const DenseOipRequest& request,
                               std::span<const models::InputColumn> inputs) {
  const size_t rows = request.rows();
  const size_t k = inputs.size();
  const std::span<const double> features = request.features();
  std::vector<table::Column> columns;
  columns.reserve(k);
  for (size_t c = 0; c < k; ++c) {
    std::vector<double> values(rows, 0.0);
    std::vector<uint8_t> valid(rows, 0);
    for (size_t r = 0; r < rows; ++r) {
      const double v = features[r * k + c];
      if (std::isnan(v)) continue;  // JSON numbers are never NaN: this was a null
      values[r] = v;
      valid[r] = 1;
    }
    columns.push_back(table::Column::Float64(inputs[c].name, std::move(values), std::move(valid)));
  }
  Result<table::Table> table = table::Table::Make(std::move(columns));
  SLUICE_CHECK(table.ok());  // distinct names (the encoder's), equal lengths
  return std::move(table).value();
}

void AppendOipResponse(std::string& out, const OipAnswer& answer) {
  out.reserve(out.size() + 160 + answer.model_name.size() + answer.model_version.size() +
              answer.id_json.size() + answer.request_id.size() + answer.scores.size() * 24);
  out += "{\"id\":";
  if (answer.id_json.empty()) {
    AppendDumpedString(out, answer.request_id);
  } else if (std::string_view raw = answer.id_json;
             raw.size() >= 2 && raw.front() == '"' && raw.find('\\') == std::string_view::npos) {
    // A string without escapes (the scanner checked it) dumps as the same bytes, unless it
    // holds bytes nlohmann escapes (none: raw control characters are not valid JSON).
    out += raw;
  } else {
    out += Json::parse(raw).dump();
  }
  out += ",\"model_name\":";
  AppendDumpedString(out, answer.model_name);
  out += ",\"model_version\":";
  AppendDumpedString(out, answer.model_version);
  out += ",\"outputs\":[{\"data\":[";
  for (size_t i = 0; i < answer.scores.size(); ++i) {
    if (i > 0) out += ',';
    const double v = answer.scores[i];
    // The general path prints the float32 score widened back to double.
    AppendDumpedNumber(out, answer.float32 ? static_cast<double>(static_cast<float>(v)) : v);
  }
  out += answer.float32 ? "],\"datatype\":\"FP32\"" : "],\"datatype\":\"FP64\"";
  out += ",\"name\":\"predict\",\"shape\":[";
  AppendUnsigned(out, answer.rows);
  if (answer.outputs != 1) {
    out += ',';
    AppendUnsigned(out, answer.outputs);
  }
  out += "]}]}";
}

}  // namespace sluice::serving
