// PredictStream: read the lines already buffered (blocking only when none is pending), decode
// each on its own so one bad line fails alone, score the good ones in one call, answer, flush.
#include "serving/stream.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "serving/batch.h"
#include "serving/inputs.h"

namespace sluice::serving {
namespace {

using Json = nlohmann::json;

std::string Dump(const Json& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

struct Pending {
  uint64_t line = 0;
  std::string text;
  bool too_long = false;
};

struct Decoded {
  std::optional<Json> id;
  std::string error;  // "" when `table` holds the row
  table::Table table;
};

// DecodeRecords counts rows in a request; here a request is one line, numbered in the answer.
std::string WithoutRowZero(std::string message) {
  const size_t at = message.find("' row 0: ");
  if (at != std::string::npos) message.replace(at, 9, "': ");
  return message;
}

Decoded Decode(const Pending& pending, const models::Bundle& bundle, bool id_is_input,
               const StreamOptions& options) {
  Decoded d;
  if (pending.too_long) {
    d.error = fmt::format("the line is longer than {} bytes", options.max_line_bytes);
    return d;
  }
  Json object = Json::parse(pending.text, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded()) {
    d.error = "not valid JSON";
    return d;
  }
  if (!object.is_object()) {
    d.error = fmt::format("expected a JSON object, got {}", object.type_name());
    return d;
  }
  if (!id_is_input) {
    if (auto it = object.find("id"); it != object.end()) {
      d.id = std::move(*it);
      object.erase("id");
    }
  }
  Result<table::Table> table = DecodeRecords(object, bundle.encoder.inputs());
  if (!table.ok()) {
    d.error = WithoutRowZero(table.status().message());
    return d;
  }
  d.table = std::move(table).value();
  return d;
}

void AppendAnswerStart(const Decoded& d, std::string& out) {
  out += '{';
  if (d.id) {
    out += "\"id\":";
    out += Dump(*d.id);
    out += ',';
  }
}

void AppendError(const Decoded& d, uint64_t line, std::string_view error, std::string& out) {
  AppendAnswerStart(d, out);
  out += "\"error\":";
  out += Dump(Json(error));
  out += fmt::format(",\"line\":{}}}\n", line);
}

// Scores `tables` (one row each) in one call; when that fails, row by row, so that only the rows
// at fault get an error. Returns one score row or error per table.
std::vector<Result<std::vector<double>>> Score(const models::Predictor& predictor,
                                               const std::vector<table::Table>& tables) {
  std::vector<Result<std::vector<double>>> out;
  if (tables.empty()) return out;
  const size_t outputs = predictor.num_outputs();
  Result<table::Table> all = table::Concat(tables);
  if (all.ok()) {
    Result<std::vector<double>> scores = predictor.Predict(*all);
    if (scores.ok() && scores->size() == tables.size() * outputs) {
      for (size_t r = 0; r < tables.size(); ++r) {
        out.emplace_back(
            std::vector<double>(scores->begin() + static_cast<ptrdiff_t>(r * outputs),
                                scores->begin() + static_cast<ptrdiff_t>((r + 1) * outputs)));
      }
      return out;
    }
  }
  for (const table::Table& t : tables) {
    Result<std::vector<double>> scores = predictor.Predict(t);
    if (scores.ok() && scores->size() != outputs) {
      scores =
          Internal("the model gave {} scores for one row of {} outputs", scores->size(), outputs);
    }
    out.push_back(std::move(scores));
  }
  return out;
}

Status Run(const models::Bundle& bundle, const models::Predictor& predictor, std::istream& in,
           std::ostream& out, const StreamOptions& options, StreamStats* stats) {
  if (!(options.threshold >= 0.0 && options.threshold <= 1.0)) {
    return InvalidArgument("threshold {} is outside [0, 1]", options.threshold);
  }
  StreamStats local;
  StreamStats& counts = stats != nullptr ? *stats : local;
  const PredictionFields fields(bundle.target, options.threshold);
  const std::vector<models::InputColumn>& inputs = bundle.encoder.inputs();
  const bool id_is_input = std::any_of(inputs.begin(), inputs.end(),
                                       [](const models::InputColumn& c) { return c.name == "id"; });
  const size_t max_batch = std::max<size_t>(options.max_batch_lines, 1);
  std::streambuf* buffer = in.rdbuf();
  if (buffer == nullptr) return Internal("the input stream has no buffer");

  uint64_t line = 0;
  Pending partial;  // the line being read
  bool eof = false;
  std::vector<Pending> batch;
  auto finish_line = [&] {
    ++line;
    partial.line = line;
    if (!partial.text.empty() && partial.text.back() == '\r') partial.text.pop_back();
    const bool blank =
        !partial.too_long && partial.text.find_first_not_of(" \t\r") == std::string::npos;
    if (!blank) batch.push_back(std::move(partial));
    partial = Pending{};
  };

  while (!eof) {
    // Read on while lines are pending only as far as the buffer goes: never wait for input with
    // an answer due.
    while (batch.size() < max_batch) {
      if (!batch.empty() && buffer->in_avail() <= 0) break;
      const int c = buffer->sbumpc();
      if (c == std::char_traits<char>::eof()) {
        eof = true;
        if (!partial.text.empty() || partial.too_long) finish_line();
        break;
      }
      if (c == '\n') {
        finish_line();
      } else if (partial.too_long) {
        // dropped up to the end of the line
      } else if (partial.text.size() < options.max_line_bytes) {
        partial.text += static_cast<char>(c);
      } else {
        partial.too_long = true;
        partial.text = std::string();  // frees the memory
      }
    }
    if (batch.empty()) continue;

    std::vector<Decoded> decoded;
    decoded.reserve(batch.size());
    std::vector<table::Table> rows;
    for (const Pending& p : batch) {
      decoded.push_back(Decode(p, bundle, id_is_input, options));
      if (decoded.back().error.empty()) rows.push_back(decoded.back().table);
    }
    std::vector<Result<std::vector<double>>> scores = Score(predictor, rows);
    std::string text;
    size_t next_score = 0;
    for (size_t i = 0; i < batch.size(); ++i) {
      const Decoded& d = decoded[i];
      ++counts.lines;
      if (!d.error.empty()) {
        AppendError(d, batch[i].line, d.error, text);
        ++counts.errors;
        continue;
      }
      const Result<std::vector<double>>& score = scores[next_score++];
      if (!score.ok()) {
        AppendError(d, batch[i].line, WithoutRowZero(score.status().message()), text);
        ++counts.errors;
        continue;
      }
      AppendAnswerStart(d, text);
      fields.AppendJson(*score, text);
      text += "}\n";
      ++counts.predictions;
    }
    batch.clear();
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    ++counts.batches;
    if (!out) return Internal("cannot write the output stream");
  }
  if (in.bad()) return Internal("cannot read the input stream");
  return Status::Ok();
}

}  // namespace

Status PredictStream(const models::Bundle& bundle, const models::Predictor& predictor,
                     std::istream& in, std::ostream& out, const StreamOptions& options,
                     StreamStats* stats) {
  try {
    return Run(bundle, predictor, in, out, options, stats);
  } catch (const std::bad_alloc&) {
    return ResourceExhausted("out of memory scoring a batch of up to {} lines",
                             options.max_batch_lines);
  } catch (const std::exception& e) {
    return Internal("streaming predictions: {}", e.what());
  }
}

}  // namespace sluice::serving
