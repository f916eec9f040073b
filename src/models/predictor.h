// A loaded model that scores tables: the bundle's encoder turns the input columns into features,
// the model library scores them, and the output is in the bundle's terms (probability of the
// positive class, probabilities per class, or the value).
//
//   SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<Predictor> model, LoadPredictor(bundle));
//   SLUICE_ASSIGN_OR_RETURN(std::vector<double> scores, model->Predict(table));
//
// Thread safety: Predict and PredictFeatures may be called concurrently on one Predictor.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "base/status.h"
#include "models/bundle.h"
#include "table/table.h"

namespace sluice::models {

class Predictor {
 public:
  virtual ~Predictor() = default;

  // Rows x num_outputs(), row-major. kInvalidArgument when a column is missing or mistyped.
  virtual Result<std::vector<double>> Predict(const table::Table& data) const = 0;

  // Scores rows that are already features: `features` is n x encoder().num_features(), row-major,
  // NaN for a missing value; `out` (n x num_outputs()) gets exactly what Predict gives for a
  // table the encoder turns into these features. For callers that decode requests straight into
  // features (serving's numeric fast path). Allocates nothing per call once a thread has scored
  // a batch this large. Sizes that do not match are a bug in the caller and abort.
  virtual void PredictFeatures(std::span<const double> features, size_t n,
                               std::span<double> out) const = 0;

  size_t num_outputs() const { return num_outputs_; }
  const FeatureEncoder& encoder() const { return encoder_; }

 protected:
  Predictor(FeatureEncoder encoder, size_t num_outputs)
      : encoder_(std::move(encoder)), num_outputs_(num_outputs) {}

 private:
  FeatureEncoder encoder_;
  size_t num_outputs_;
};

// kInvalidArgument when the model bytes do not load or do not match the bundle (feature count,
// outputs).
Result<std::unique_ptr<Predictor>> LoadPredictor(const Bundle& bundle);

}  // namespace sluice::models
