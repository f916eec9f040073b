// The model bundle: everything needed to use a trained model, as a folder of files stored as a
// run's artifacts (docs/formats/model-bundle.md). `sluice.json` is the index; the model itself is
// in its library's own format; an `MLmodel` file beside them lets MLflow's loaders read it too
// (`mlflow.xgboost.load_model("models:/churn/1")`).
//
//   std::vector<BundleFile> files = BundleFiles(bundle);        // write each under "model/"
//   SLUICE_ASSIGN_OR_RETURN(Bundle b, ReadBundle([&](std::string_view name) { ... }));
//
// Thread safety: plain values and free functions.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "models/features.h"

namespace sluice::models {

inline constexpr int kBundleFormatVersion = 1;
inline constexpr std::string_view kBundleIndexFile = "sluice.json";

// MLflow's name for a column type in signatures and dataset schemas (mlflow.types.DataType).
std::string_view MlflowTypeName(table::Type type);

enum class Algorithm { kXgboost, kLinear };
std::string_view AlgorithmName(Algorithm algorithm);  // "xgboost", "linear"
Result<Algorithm> ParseAlgorithm(std::string_view name);

struct Bundle {
  Algorithm algorithm = Algorithm::kXgboost;
  Target target;
  FeatureEncoder encoder;
  // XGBoost's JSON model, or linear::Model::ToJson().
  std::string model_bytes;
  // A few training rows of the input columns, in MLflow's "split" orientation:
  // {"columns": [...], "data": [[...], ...]}.
  std::string input_example;
  // The training data's profile, for drift monitoring; "" until a profile is attached.
  std::string reference_profile;
  // The expectation suite (YAML) the training data passed, for serving to check requests
  // against; "" when training had none.
  std::string input_suite;
  std::map<std::string, std::string> libraries;  // name -> version: sluice, xgboost
  std::string run_id;                            // the training run; "" when unknown
  int64_t created_ms = 0;
  std::map<std::string, double> metrics;  // headline metrics of the training run, for display

  // The file the model is stored in: model.json (XGBoost) or linear.json.
  std::string_view model_file() const;
  // 1, or the number of classes of a multiclass model (one probability each).
  size_t num_outputs() const;
};

struct BundleFile {
  std::string name;  // relative to the bundle folder
  std::string bytes;
};

// The files of the bundle: sluice.json, the model, input_example.json, reference_profile.json
// and input_suite.yaml when set, and for MLflow: MLmodel, requirements.txt, python_env.yaml,
// conda.yaml.
std::vector<BundleFile> BundleFiles(const Bundle& bundle);

// Reads a bundle through `read_file` (given a name relative to the folder; kNotFound when
// absent). kInvalidArgument naming the file and field for a malformed bundle, kUnimplemented
// for a newer format version.
using BundleFileReader = std::function<Result<std::string>(std::string_view name)>;
Result<Bundle> ReadBundle(const BundleFileReader& read_file);

}  // namespace sluice::models
