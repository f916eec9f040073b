#include "models/internal/mlmodel.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "base/sha256.h"

namespace sluice::models::internal {
namespace {

using Json = nlohmann::json;

std::string LibraryVersion(const Bundle& bundle, const std::string& name) {
  auto it = bundle.libraries.find(name);
  return it == bundle.libraries.end() ? "" : it->second;
}

bool AllNumeric(const Bundle& bundle) {
  for (const InputColumn& input : bundle.encoder.inputs()) {
    if (input.encoding != Encoding::kNumeric || input.type == table::Type::kTimestamp) return false;
  }
  return true;
}

// MLflow's loaders hand the DataFrame straight to the model, so the signature they see is the
// model's features: the raw columns when every one is numeric, else the encoded features.
std::string SignatureInputs(const Bundle& bundle) {
  Json inputs = Json::array();
  if (AllNumeric(bundle)) {
    for (const InputColumn& input : bundle.encoder.inputs()) {
      inputs.push_back(
          {{"type", MlflowTypeName(input.type)}, {"name", input.name}, {"required", true}});
    }
  } else {
    for (const std::string& feature : bundle.encoder.feature_names()) {
      inputs.push_back({{"type", "double"}, {"name", feature}, {"required", true}});
    }
  }
  return inputs.dump();
}

std::string SignatureOutputs(const Bundle& bundle) {
  Json shape = bundle.num_outputs() == 1
                   ? Json::array({-1})
                   : Json::array({-1, static_cast<int>(bundle.num_outputs())});
  Json spec = {{"type", "tensor"}, {"tensor-spec", {{"dtype", "float32"}, {"shape", shape}}}};
  return Json::array({spec}).dump();
}

std::string UtcTime(int64_t ms) {
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M:%S", &tm);
  return fmt::format("{}.{:06d}", buffer, (ms % 1000) * 1000);
}

}  // namespace

std::string MlmodelYaml(const Bundle& bundle, size_t model_size_bytes) {
  const std::string model_file(bundle.model_file());
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "artifact_path" << YAML::Value << "model";
  out << YAML::Key << "flavors" << YAML::Value << YAML::BeginMap;
  if (bundle.algorithm == Algorithm::kXgboost) {
    out << YAML::Key << "python_function" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "data" << YAML::Value << model_file;
    out << YAML::Key << "env" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "conda" << YAML::Value << "conda.yaml";
    out << YAML::Key << "virtualenv" << YAML::Value << "python_env.yaml";
    out << YAML::EndMap;
    out << YAML::Key << "loader_module" << YAML::Value << "mlflow.xgboost";
    out << YAML::Key << "python_version" << YAML::Value << YAML::SingleQuoted << "3.11";
    out << YAML::EndMap;
    out << YAML::Key << "xgboost" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "code" << YAML::Value << YAML::Null;
    out << YAML::Key << "data" << YAML::Value << model_file;
    out << YAML::Key << "model_class" << YAML::Value << "xgboost.core.Booster";
    out << YAML::Key << "model_format" << YAML::Value << "json";
    out << YAML::Key << "xgb_version" << YAML::Value << LibraryVersion(bundle, "xgboost");
    out << YAML::EndMap;
  }
  out << YAML::Key << "sluice" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "bundle" << YAML::Value << std::string(kBundleIndexFile);
  out << YAML::Key << "format_version" << YAML::Value << kBundleFormatVersion;
  out << YAML::Key << "algorithm" << YAML::Value << std::string(AlgorithmName(bundle.algorithm));
  out << YAML::Key << "sluice_version" << YAML::Value << LibraryVersion(bundle, "sluice");
  out << YAML::EndMap;
  out << YAML::EndMap;  // flavors
  out << YAML::Key << "model_size_bytes" << YAML::Value << model_size_bytes;
  // A stable id: the same run and model bytes give the same uuid, so a reproduced bundle is
  // identical file for file.
  out << YAML::Key << "model_uuid" << YAML::Value
      << Sha256::HexOf(bundle.run_id + "\n" + bundle.model_bytes).substr(0, 32);
  if (!bundle.run_id.empty()) out << YAML::Key << "run_id" << YAML::Value << bundle.run_id;
  if (AllNumeric(bundle) && !bundle.input_example.empty()) {
    out << YAML::Key << "saved_input_example_info" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "artifact_path" << YAML::Value << "input_example.json";
    out << YAML::Key << "pandas_orient" << YAML::Value << "split";
    out << YAML::Key << "type" << YAML::Value << "dataframe";
    out << YAML::EndMap;
  }
  out << YAML::Key << "signature" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "inputs" << YAML::Value << YAML::SingleQuoted << SignatureInputs(bundle);
  out << YAML::Key << "outputs" << YAML::Value << YAML::SingleQuoted << SignatureOutputs(bundle);
  out << YAML::Key << "params" << YAML::Value << YAML::Null;
  out << YAML::EndMap;
  out << YAML::Key << "utc_time_created" << YAML::Value << YAML::SingleQuoted
      << UtcTime(bundle.created_ms);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::string RequirementsTxt(const Bundle& bundle) {
  std::string out = "mlflow\n";
  if (bundle.algorithm == Algorithm::kXgboost) {
    out += fmt::format("xgboost=={}\n", LibraryVersion(bundle, "xgboost"));
  }
  return out;
}

std::string PythonEnvYaml() {
  return "python: 3.11\nbuild_dependencies:\n- pip\ndependencies:\n- -r requirements.txt\n";
}

std::string CondaYaml(const Bundle& bundle) {
  std::string out =
      "channels:\n- conda-forge\ndependencies:\n- python=3.11\n- pip\n- pip:\n  - mlflow\n";
  if (bundle.algorithm == Algorithm::kXgboost) {
    out += fmt::format("  - xgboost=={}\n", LibraryVersion(bundle, "xgboost"));
  }
  return out + "name: mlflow-env\n";
}

}  // namespace sluice::models::internal
