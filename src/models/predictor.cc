#include "models/predictor.h"

#include <span>

#include "linear/linear.h"
#include "xgb/xgb.h"

namespace sluice::models {
namespace {

class XgboostPredictor final : public Predictor {
 public:
  XgboostPredictor(FeatureEncoder encoder, size_t num_outputs, xgb::Booster booster)
      : Predictor(std::move(encoder), num_outputs), booster_(std::move(booster)) {}

  Result<std::vector<double>> Predict(const table::Table& data) const override {
    SLUICE_ASSIGN_OR_RETURN(std::vector<float> features, encoder().EncodeFloat(data));
    SLUICE_ASSIGN_OR_RETURN(
        std::vector<float> scores,
        booster_.PredictDense(features, data.num_rows(), encoder().num_features()));
    if (scores.size() != data.num_rows() * num_outputs()) {
      return Internal("XGBoost returned {} scores for {} rows of {} outputs", scores.size(),
                      data.num_rows(), num_outputs());
    }
    return std::vector<double>(scores.begin(), scores.end());
  }

 private:
  xgb::Booster booster_;
};

class LinearPredictor final : public Predictor {
 public:
  LinearPredictor(FeatureEncoder encoder, size_t num_outputs, linear::Model model)
      : Predictor(std::move(encoder), num_outputs), model_(std::move(model)) {}

  Result<std::vector<double>> Predict(const table::Table& data) const override {
    SLUICE_ASSIGN_OR_RETURN(std::vector<double> features, encoder().EncodeDouble(data));
    return model_.Predict(features, data.num_rows());
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
      std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(bundle.model_bytes.data()),
                                     bundle.model_bytes.size());
      SLUICE_ASSIGN_OR_RETURN(xgb::Booster booster,
                              xgb::Booster::Load(bytes).WithContext(bundle.model_file()));
      SLUICE_ASSIGN_OR_RETURN(int model_features, booster.NumFeatures());
      if (static_cast<size_t>(model_features) != features) {
        return InvalidArgument("{}: the model takes {} features, the bundle encodes {}",
                               bundle.model_file(), model_features, features);
      }
      return std::unique_ptr<Predictor>(
          new XgboostPredictor(bundle.encoder, outputs, std::move(booster)));
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
