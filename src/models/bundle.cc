#include "models/bundle.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "models/internal/mlmodel.h"

namespace sluice::models {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kInputExampleFile = "input_example.json";
constexpr std::string_view kReferenceProfileFile = "reference_profile.json";
constexpr std::string_view kInputSuiteFile = "input_suite.yaml";

}  // namespace

std::string_view MlflowTypeName(table::Type type) {
  switch (type) {
    case table::Type::kFloat64:
      return "double";
    case table::Type::kInt64:
      return "long";
    case table::Type::kString:
      return "string";
    case table::Type::kBool:
      return "boolean";
    case table::Type::kTimestamp:
      return "datetime";
  }
  return "string";
}

std::string_view AlgorithmName(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::kXgboost:
      return "xgboost";
    case Algorithm::kLinear:
      return "linear";
  }
  return "?";
}

Result<Algorithm> ParseAlgorithm(std::string_view name) {
  if (name == "xgboost") return Algorithm::kXgboost;
  if (name == "linear") return Algorithm::kLinear;
  return InvalidArgument("unknown algorithm '{}'; use xgboost or linear", name);
}

std::string_view Bundle::model_file() const {
  return algorithm == Algorithm::kXgboost ? "model.json" : "linear.json";
}

size_t Bundle::num_outputs() const {
  return target.task == Task::kMulticlass ? target.classes.size() : 1;
}

std::vector<BundleFile> BundleFiles(const Bundle& bundle) {
  Json index = {
      {"format", "sluice-model-bundle"},
      {"format_version", kBundleFormatVersion},
      {"algorithm", AlgorithmName(bundle.algorithm)},
      {"model_file", bundle.model_file()},
      {"target", bundle.target.ToJson()},
      {"features", bundle.encoder.ToJson()},
      {"output",
       {{"shape",
         bundle.num_outputs() == 1 ? Json::array({-1}) : Json::array({-1, bundle.num_outputs()})},
        {"meaning", bundle.target.task == Task::kRegression ? "value"
                    : bundle.target.task == Task::kBinary   ? "probability of the positive class"
                                                            : "probability of each class"}}},
      {"input_example", kInputExampleFile},
      {"reference_profile",
       bundle.reference_profile.empty() ? Json(nullptr) : Json(kReferenceProfileFile)},
      {"input_suite", bundle.input_suite.empty() ? Json(nullptr) : Json(kInputSuiteFile)},
      {"libraries", bundle.libraries},
      {"run_id", bundle.run_id},
      {"created_ms", bundle.created_ms},
      {"metrics", bundle.metrics},
  };
  std::vector<BundleFile> files;
  files.push_back({std::string(kBundleIndexFile), index.dump(2) + "\n"});
  files.push_back({std::string(bundle.model_file()), bundle.model_bytes});
  files.push_back({std::string(kInputExampleFile), bundle.input_example});
  if (!bundle.reference_profile.empty()) {
    files.push_back({std::string(kReferenceProfileFile), bundle.reference_profile});
  }
  if (!bundle.input_suite.empty()) {
    files.push_back({std::string(kInputSuiteFile), bundle.input_suite});
  }
  files.push_back({"MLmodel", internal::MlmodelYaml(bundle, bundle.model_bytes.size())});
  files.push_back({"requirements.txt", internal::RequirementsTxt(bundle)});
  files.push_back({"python_env.yaml", internal::PythonEnvYaml()});
  files.push_back({"conda.yaml", internal::CondaYaml(bundle)});
  return files;
}

Result<Bundle> ReadBundle(const BundleFileReader& read_file) {
  SLUICE_ASSIGN_OR_RETURN(std::string index_text, read_file(kBundleIndexFile));
  Json index = Json::parse(index_text, nullptr, /*allow_exceptions=*/false);
  if (!index.is_object() || index.value("format", "") != "sluice-model-bundle") {
    return InvalidArgument("{} is not a Sluice model bundle index", kBundleIndexFile);
  }
  Bundle bundle;
  try {
    int version = index.at("format_version").get<int>();
    if (version > kBundleFormatVersion) {
      return Unimplemented("{}: bundle format {} is newer than this Sluice reads ({}); upgrade",
                           kBundleIndexFile, version, kBundleFormatVersion);
    }
    SLUICE_ASSIGN_OR_RETURN(bundle.algorithm,
                            ParseAlgorithm(index.at("algorithm").get<std::string>()));
    SLUICE_ASSIGN_OR_RETURN(bundle.target, Target::FromJson(index.at("target")));
    SLUICE_ASSIGN_OR_RETURN(bundle.encoder, FeatureEncoder::FromJson(index.at("features")));
    bundle.libraries = index.at("libraries").get<std::map<std::string, std::string>>();
    bundle.run_id = index.at("run_id").get<std::string>();
    bundle.created_ms = index.at("created_ms").get<int64_t>();
    for (const auto& [name, value] : index.at("metrics").items()) {
      // JSON has no NaN: a NaN metric was written as null.
      bundle.metrics[name] = value.is_number() ? value.get<double>() : std::nan("");
    }
  } catch (const Json::exception& e) {
    return InvalidArgument("{}: {}", kBundleIndexFile, e.what());
  }
  SLUICE_ASSIGN_OR_RETURN(bundle.model_bytes, read_file(bundle.model_file()));
  Result<std::string> example = read_file(kInputExampleFile);
  if (example.ok()) {
    bundle.input_example = std::move(example).value();
  } else if (example.status().code() != StatusCode::kNotFound) {
    return example.status();
  }
  if (index.at("reference_profile").is_string()) {
    SLUICE_ASSIGN_OR_RETURN(bundle.reference_profile, read_file(kReferenceProfileFile));
  }
  // Bundles written before input suites existed have no key.
  if (index.contains("input_suite") && index["input_suite"].is_string()) {
    SLUICE_ASSIGN_OR_RETURN(bundle.input_suite, read_file(kInputSuiteFile));
  }
  return bundle;
}

}  // namespace sluice::models
