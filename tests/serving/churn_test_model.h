// The small model the serving tests score with: logistic over x1 (numeric) and plan (ordinal:
// basic, pro, team), classes no/yes; its scores are easy to tell apart, and a second set of
// weights gives another "version" whose answers differ from the first.
#pragma once

#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "models/bundle.h"
#include "models/predictor.h"
#include "serving/model_host.h"
#include "table/table.h"

namespace sluice::serving::testing {

inline Result<std::shared_ptr<ServedModel>> ChurnTestModel(std::string version = "3",
                                                           double x1_weight = 2.0) {
  auto model = std::make_shared<ServedModel>();
  model->name = "churn";
  model->uri = "models:/churn/" + version;
  model->version = std::move(version);
  SLUICE_ASSIGN_OR_RETURN(
      table::Table data,
      table::Table::Make({table::Column::Float64("x1", {0, 1, 2}),
                          table::Column::String("plan", {"basic", "pro", "team"})}));
  const std::vector<std::string> inputs = {"x1", "plan"};
  models::Bundle& bundle = model->bundle;
  SLUICE_ASSIGN_OR_RETURN(bundle.encoder,
                          models::FeatureEncoder::Fit(data, inputs, models::Encoding::kOrdinal));
  bundle.algorithm = models::Algorithm::kLinear;
  bundle.target = {.column = "churned", .task = models::Task::kBinary, .classes = {"no", "yes"}};
  bundle.model_bytes = fmt::format(
      R"({{"format":"sluice-linear","version":1,"objective":"logistic","num_outputs":1,)"
      R"("feature_names":["x1","plan"],"weights":[[{},0.5]],"intercepts":[-0.25],)"
      R"("impute_values":[0.0,1.0]}})",
      x1_weight);
  SLUICE_ASSIGN_OR_RETURN(model->predictor, models::LoadPredictor(bundle));
  return model;
}

// The model's score for one request.
inline Result<double> ChurnTestScore(const ServedModel& model, double x1, const std::string& plan) {
  SLUICE_ASSIGN_OR_RETURN(table::Table row,
                          table::Table::Make({table::Column::Float64("x1", {x1}),
                                              table::Column::String("plan", {plan})}));
  SLUICE_ASSIGN_OR_RETURN(std::vector<double> scores, model.predictor->Predict(row));
  return scores.at(0);
}

}  // namespace sluice::serving::testing
