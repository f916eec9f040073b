// The Open Inference Protocol's common case, without the general machinery: a numeric request
// (one [rows, k] tensor, or one [rows] tensor per input) for a model whose inputs are all numeric
// is scanned straight from the body into a row-major feature buffer, with no JSON tree and no
// table, and the answer is written as text. Used by the /v2/.../infer route before it falls back
// to DecodeOipRequest.
//
//   thread_local DenseOipRequest request;
//   if (HasDenseInputs(inputs) && DecodeDenseOipRequest(body, inputs, request)) {
//     predictor.PredictFeatures(request.features(), request.rows(), scores);
//     AppendOipResponse(out, {...});
//   } else { ... the general path: Json::parse, DecodeOipRequest ... }
//
// The contract is "same answer or step aside": whatever DecodeDenseOipRequest accepts,
// DecodeOipRequest accepts too and turns into a table that encodes to exactly these features,
// and AppendOipResponse writes the bytes nlohmann's dump of the general path's answer gives.
// Everything else (invalid JSON, every request DecodeOipRequest refuses, strings, escapes, a
// byte-order mark, zero rows, duplicate keys) is declined, so errors keep their messages.
//
// Thread safety: pure functions; a DenseOipRequest is used by one thread at a time.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "models/features.h"
#include "table/table.h"

namespace sluice::serving {

// Whether every input is numeric (float64, int64 or bool, numeric encoding): then the model's
// features are its inputs in order, one each, and DecodeDenseOipRequest can serve it.
bool HasDenseInputs(std::span<const models::InputColumn> inputs);

// A decoded request. Reused across requests by one thread: its buffers keep their capacity
// (up to a bound), so a steady stream of requests allocates nothing here.
class DenseOipRequest {
 public:
  size_t rows() const { return rows_; }
  // rows() x inputs, row-major: the values as DecodeOipRequest's table holds them (JSON numbers
  // read as doubles, true 1, false 0), NaN for null.
  std::span<const double> features() const { return features_; }
  // The raw JSON text of the body's "id" member, "" when there is none.
  std::string_view id() const { return id_; }

 private:
  friend bool DecodeDenseOipRequest(std::string_view body,
                                    std::span<const models::InputColumn> inputs,
                                    DenseOipRequest& out);
  struct Tensor {
    std::string_view name;
    uint64_t dims[2] = {0, 0};
    size_t num_dims = 0;
    size_t first = 0;  // its values in values_
    size_t count = 0;
  };

  std::vector<double> values_;   // every tensor's data in body order
  std::vector<double> columns_;  // features when given one tensor per input
  std::vector<Tensor> tensors_;
  std::span<const double> features_;
  std::string_view id_;
  size_t rows_ = 0;
};

// Decodes `body` into `out` (which then views `body`: keep it alive) and returns true; or returns
// false, leaving `out` meaningless, for anything this path does not take (see the top). `inputs`
// must satisfy HasDenseInputs.
bool DecodeDenseOipRequest(std::string_view body, std::span<const models::InputColumn> inputs,
                           DenseOipRequest& out);

// The table DecodeOipRequest makes of the same request (float64 columns in input order, null
// where the feature is NaN), for the prediction log.
table::Table DenseRequestTable(const DenseOipRequest& request,
                               std::span<const models::InputColumn> inputs);

// What the infer route answers, as nlohmann's dump of
//   {"id", "model_name", "model_version",
//    "outputs": [{"name": "predict", "shape", "datatype", "data"}]}
// writes it (keys sorted, doubles by nlohmann's shortest round-trip, non-finite as null).
struct OipAnswer {
  std::string_view id_json;  // the request's "id" text as given, "" to use request_id
  std::string_view request_id;
  std::string_view model_name;
  std::string_view model_version;
  size_t rows = 0;
  size_t outputs = 1;              // per row
  bool float32 = false;            // the datatype: "FP32", else "FP64"
  std::span<const double> scores;  // rows x outputs
};
void AppendOipResponse(std::string& out, const OipAnswer& answer);

}  // namespace sluice::serving
