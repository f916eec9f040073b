#include "xgb/model_document.h"

#include <fmt/format.h>

#include <charconv>
#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>

#include "base/json_bounds.h"

namespace sluice::xgb {
namespace {

using json = nlohmann::json;

// Outside strings the non-finite words become marker strings for nlohmann to read; Restore turns
// the markers back into numbers.
constexpr std::string_view kMarker = "\\u0000";  // a NUL: never in XGBoost's own strings

std::string MarkNonFinite(std::string_view text) {
  std::string marked;
  marked.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\' && i + 1 < text.size()) {
        marked += c;
        c = text[++i];
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else {
      bool replaced = false;
      for (std::string_view word : {"NaN", "Infinity", "-Infinity"}) {
        if (text.substr(i).starts_with(word)) {
          marked += fmt::format("\"{}{}\"", kMarker, word);
          i += word.size() - 1;
          replaced = true;
          break;
        }
      }
      if (replaced) continue;
    }
    marked += c;
  }
  return marked;
}

void RestoreNonFinite(json& value) {
  if (value.is_structured()) {
    for (json& element : value) RestoreNonFinite(element);
  } else if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    if (text.size() < 2 || text[0] != '\0') return;
    std::string_view word = std::string_view(text).substr(1);
    if (word == "NaN") value = std::numeric_limits<double>::quiet_NaN();
    if (word == "Infinity") value = std::numeric_limits<double>::infinity();
    if (word == "-Infinity") value = -std::numeric_limits<double>::infinity();
  }
}

// Builds the document as json::parse does, except that a JSON number with a fraction or exponent
// holds the float its text rounds to. XGBoost reads every such number of a model straight into a
// float; reading a double and narrowing it rounds twice, which lands one bit away for a text that
// is not a float's shortest form (a hand-edited model, or one written from doubles) when the
// double falls exactly between two floats.
class FloatDocumentBuilder {
 public:
  explicit FloatDocumentBuilder(json& root) : dom_(root, /*allow_exceptions=*/true) {}

  bool number_float(json::number_float_t value, const json::string_t& text) {
    float narrow = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), narrow);
    if (error == std::errc() && end == text.data() + text.size()) value = narrow;
    return dom_.number_float(value, text);
  }
  bool null() { return dom_.null(); }
  bool boolean(bool value) { return dom_.boolean(value); }
  bool number_integer(json::number_integer_t value) { return dom_.number_integer(value); }
  bool number_unsigned(json::number_unsigned_t value) { return dom_.number_unsigned(value); }
  bool string(json::string_t& value) { return dom_.string(value); }
  bool binary(json::binary_t& value) { return dom_.binary(value); }
  bool start_object(std::size_t size) { return dom_.start_object(size); }
  bool key(json::string_t& value) { return dom_.key(value); }
  bool end_object() { return dom_.end_object(); }
  bool start_array(std::size_t size) { return dom_.start_array(size); }
  bool end_array() { return dom_.end_array(); }
  template <typename Exception>
  bool parse_error(std::size_t position, const std::string& token, const Exception& error) {
    return dom_.parse_error(position, token, error);
  }

 private:
  nlohmann::detail::json_sax_dom_parser<json> dom_;
};

}  // namespace

ModelFormat FormatOf(std::span<const uint8_t> bytes) {
  return bytes.size() >= 2 && bytes[0] == '{' && bytes[1] == '"' ? ModelFormat::kJson
                                                                 : ModelFormat::kUbj;
}

Result<json> ReadModelDocument(std::span<const uint8_t> bytes, ModelFormat format) {
  const bool is_json = format == ModelFormat::kJson;
  const std::string_view format_name = is_json ? "JSON" : "UBJ";
  json model;
  try {
    JsonBoundsCheck bounds(bytes.size(), kMaxModelNesting);
    if (is_json) {
      std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      const bool non_finite = text.find("NaN") != std::string_view::npos ||
                              text.find("Infinity") != std::string_view::npos;
      std::string marked = non_finite ? MarkNonFinite(text) : std::string();
      if (non_finite) text = marked;
      if (!json::sax_parse(text, &bounds)) {
        return InvalidArgument("XGBoost model: not valid JSON: {}", bounds.error());
      }
      FloatDocumentBuilder builder(model);
      json::sax_parse(text, &builder);
      if (non_finite) RestoreNonFinite(model);
    } else {
      if (!json::sax_parse(bytes.begin(), bytes.end(), &bounds, json::input_format_t::ubjson)) {
        return InvalidArgument("XGBoost model: not valid UBJ: {}", bounds.error());
      }
      model = json::from_ubjson(bytes.begin(), bytes.end());
    }
  } catch (const std::exception& e) {
    return InvalidArgument("XGBoost model: not valid {}: {}", format_name, e.what());
  }
  return model;
}

namespace model_json {

std::string Show(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

Status Invalid(std::string_view path, std::string_view problem) {
  return InvalidArgument("XGBoost model: {}: {}", path, problem);
}

Result<const json*> Member(const json& object, std::string_view path, const char* key) {
  if (!object.is_object()) return Invalid(path, "not an object");
  auto it = object.find(key);
  if (it == object.end()) return Invalid(fmt::format("{}.{}", path, key), "missing");
  return &*it;
}

Result<const json*> Object(const json& parent, std::string_view path, const char* key) {
  SLUICE_ASSIGN_OR_RETURN(const json* value, Member(parent, path, key));
  if (!value->is_object()) return Invalid(fmt::format("{}.{}", path, key), "not an object");
  return value;
}

Result<const json*> Array(const json& parent, std::string_view path, const char* key,
                          int64_t size) {
  SLUICE_ASSIGN_OR_RETURN(const json* value, Member(parent, path, key));
  const std::string member = fmt::format("{}.{}", path, key);
  if (!value->is_array()) return Invalid(member, "not an array");
  if (size >= 0 && value->size() != static_cast<size_t>(size)) {
    return Invalid(member, fmt::format("has {} elements, expected {}", value->size(), size));
  }
  return value;
}

Result<int64_t> IntParam(const json& parent, std::string_view path, const char* key, int64_t min,
                         int64_t max) {
  SLUICE_ASSIGN_OR_RETURN(const json* value, Member(parent, path, key));
  const std::string member = fmt::format("{}.{}", path, key);
  if (!value->is_string()) return Invalid(member, "not a string");
  const std::string& text = value->get_ref<const std::string&>();
  int64_t number = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc() || end != text.data() + text.size()) {
    return Invalid(member, fmt::format("{} is not an integer", Show(*value)));
  }
  if (number < min || number > max) {
    return Invalid(member, fmt::format("{} is outside [{}, {}]", number, min, max));
  }
  return number;
}

Result<int64_t> IntElement(const json& array, size_t index, std::string_view path, int64_t min,
                           int64_t max) {
  const json& value = array[index];
  const std::string element = fmt::format("{}[{}]", path, index);
  if (!value.is_number_integer()) return Invalid(element, "not an integer");
  // An unsigned beyond int64 is out of every range asked for here.
  if (value.is_number_unsigned() && value.get<uint64_t>() > static_cast<uint64_t>(max)) {
    return Invalid(element, fmt::format("{} is outside [{}, {}]", value.get<uint64_t>(), min, max));
  }
  const int64_t number = value.get<int64_t>();
  if (number < min || number > max) {
    return Invalid(element, fmt::format("{} is outside [{}, {}]", number, min, max));
  }
  return number;
}

}  // namespace model_json

}  // namespace sluice::xgb
