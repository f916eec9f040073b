// Turning inference requests into the table a model scores, checked against the model's inputs
// (names and training types from its bundle), and scores back into responses. Two protocols:
//
// - Open Inference Protocol v2 (KServe, Triton, Seldon): one named tensor per input column
//   (shape [n] or [n, 1]), or one tensor of shape [n, k] whose k columns are the model's inputs
//   in order.
// - MLflow's scoring protocol (/invocations): dataframe_split, dataframe_records, instances,
//   inputs, or CSV.
//
// Every problem is kInvalidArgument with a message naming the input, row and fix; the HTTP layer
// turns it into a 400.
//
// Thread safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "models/features.h"
#include "table/table.h"

namespace sluice::serving {

// The table of an OIP v2 infer request (`inputs` of the body). Requested output names are
// ignored: a model has one output.
Result<table::Table> DecodeOipRequest(const nlohmann::json& body,
                                      std::span<const models::InputColumn> inputs);

// The table of an MLflow /invocations request: JSON (`content_type` application/json) or CSV
// (text/csv, with a header row).
Result<table::Table> DecodeMlflowRequest(std::string_view body, std::string_view content_type,
                                         std::span<const models::InputColumn> inputs);

// The table of one NDJSON line: an object of column -> value (a record).
Result<table::Table> DecodeRecords(const nlohmann::json& records,
                                   std::span<const models::InputColumn> inputs);

}  // namespace sluice::serving
