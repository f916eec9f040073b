#include "models/predictor.h"

#include <algorithm>
#include <span>

#include "linear/linear.h"
#include "models/compiled_tree.h"

namespace sluice::models {
namespace {

// Scores with the compiled trees, which equal XGBoost's own predictions bit for bit (a property
// test checks it) at a fraction of XGBoost's per-call cost.
class TreePredictor final : public Predictor {
 public:
  TreePredictor(FeatureEncoder encoder, size_t num_outputs, CompiledTrees trees)
      : Predictor(std::move(encoder), num_outputs), trees_(std::move(trees)) {}

  Result<std::vector<double>> Predict(const table::Table& data) const override {
    SLUICE_ASSIGN_OR_RETURN(std::vector<float> features, encoder().EncodeFloat(data));
    std::vector<float> scores(data.num_rows() * num_outputs());
    trees_.Predict(features, data.num_rows(), scores);
    return std::vector<double>(scores.begin(), scores.end());
  }

  void PredictFeatures(std::span<const double> features, size_t n,
                       std::span<double> out) const override {
    SLUICE_CHECK(features.size() == n * encoder().num_features());
    SLUICE_CHECK(out.size() == n * num_outputs());
    // Per-thread scratch, so that a request allocates nothing here; a rare large batch does not
    // pin its memory in the thread for ever.
    constexpr size_t kKeptFloats = 1 << 20;
    thread_local std::vector<float> rows;
    thread_local std::vector<float> scores;
    // The same float32 rounding as FeatureEncoder::EncodeFloat.
    rows.resize(features.size());
    for (size_t i = 0; i < features.size(); ++i) rows[i] = static_cast<float>(features[i]);
    scores.resize(out.size());
    trees_.Predict(rows, n, scores);
    std::copy(scores.begin(), scores.end(), out.begin());
    if (rows.capacity() > kKeptFloats) std::vector<float>().swap(rows);
    if (scores.capacity() > kKeptFloats) std::vector<float>().swap(scores);
  }

 private:
  CompiledTrees trees_;
};

class LinearPredictor final : public Predictor {
 public:
  LinearPredictor(FeatureEncoder encoder, size_t num_outputs, linear::Model model)
      : Predictor(std::move(encoder), num_outputs), model_(std::move(model)) {}

  Result<std::vector<double>> Predict(const table::Table& data) const override {
    SLUICE_ASSIGN_OR_RETURN(std::vector<double> features, encoder().EncodeDouble(data));
    return model_.Predict(features, data.num_rows());
  }

  void PredictFeatures(std::span<const double> features, size_t n,
                       std::span<double> out) const override {
    const size_t width = encoder().num_features();
    const size_t outputs = num_outputs();
    SLUICE_CHECK(features.size() == n * width);
    SLUICE_CHECK(out.size() == n * outputs);
    for (size_t row = 0; row < n; ++row) {
      model_.PredictRow(features.subspan(row * width, width), out.subspan(row * outputs, outputs));
    }
  }

 private:
  linear::Model model_;
};

}  // namespace

Result<std::unique_ptr<Predictor>> LoadPredictor(const Bundle& bundle) {
  const size_t features = bundle.encoder.num_features();
  const size_t outputs = bundle.num_outputs();
  switch (bundle.algorithm) {
    case Algorithm::kXgboost: {
      SLUICE_ASSIGN_OR_RETURN(
          CompiledTrees trees,
          CompiledTrees::FromXgboostJson(bundle.model_bytes).WithContext(bundle.model_file()));
      if (trees.num_features() != features || trees.num_outputs() != outputs) {
        return InvalidArgument(
            "{}: the model takes {} features and gives {} outputs, the bundle expects {} and {}",
            bundle.model_file(), trees.num_features(), trees.num_outputs(), features, outputs);
      }
      return std::unique_ptr<Predictor>(
          new TreePredictor(bundle.encoder, outputs, std::move(trees)));
    }
    case Algorithm::kLinear: {
      SLUICE_ASSIGN_OR_RETURN(linear::Model model,
                              linear::Model::FromJson(bundle.model_bytes)
                                  .WithContext(std::string(bundle.model_file())));
      if (model.feature_names.size() != features ||
          static_cast<size_t>(model.num_outputs) != outputs) {
        return InvalidArgument(
            "{}: the model takes {} features and gives {} outputs, the bundle expects {} and {}",
            bundle.model_file(), model.feature_names.size(), model.num_outputs, features, outputs);
      }
      return std::unique_ptr<Predictor>(
          new LinearPredictor(bundle.encoder, outputs, std::move(model)));
    }
  }
  return Internal("unknown algorithm");
}

}  // namespace sluice::models
