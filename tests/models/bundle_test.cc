#include "models/bundle.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <map>
#include <nlohmann/json.hpp>

#include "testing/status_matchers.h"

namespace sluice::models {
namespace {

using ::sluice::testing::StatusIs;
using ::testing::HasSubstr;

Bundle MakeBundle(Algorithm algorithm, bool categorical) {
  std::vector<table::Column> columns = {table::Column::Float64("age", {30, 40}),
                                        table::Column::Int64("visits", {1, 2})};
  if (categorical) columns.push_back(table::Column::String("plan", {"pro", "basic"}));
  auto data = table::Table::Make(std::move(columns));
  EXPECT_OK(data);
  std::vector<std::string> names = data->ColumnNames();
  auto encoder = FeatureEncoder::Fit(*data, names, Encoding::kOneHot);
  EXPECT_OK(encoder);
  Bundle bundle;
  bundle.algorithm = algorithm;
  bundle.target = {.column = "churned", .task = Task::kBinary, .classes = {"0", "1"}};
  bundle.encoder = *encoder;
  bundle.model_bytes = R"({"learner": {}})";
  bundle.input_example = R"({"columns":["age","visits"],"data":[[30,1]]})";
  bundle.libraries = {{"sluice", "0.1.0"}, {"xgboost", "1.7.4"}};
  bundle.run_id = "0123456789abcdef0123456789abcdef";
  bundle.created_ms = 1764390000123;
  bundle.metrics = {{"validation_auc", 0.91}};
  return bundle;
}

std::map<std::string, std::string> AsMap(const std::vector<BundleFile>& files) {
  std::map<std::string, std::string> out;
  for (const BundleFile& f : files) out[f.name] = f.bytes;
  return out;
}

BundleFileReader ReaderOf(const std::map<std::string, std::string>& files) {
  return [&files](std::string_view name) -> Result<std::string> {
    auto it = files.find(std::string(name));
    if (it == files.end()) return NotFound("no file {}", name);
    return it->second;
  };
}

TEST(BundleTest, FilesReadBackToTheSameBundle) {
  Bundle bundle = MakeBundle(Algorithm::kXgboost, /*categorical=*/true);
  bundle.reference_profile = R"({"columns": {}})";
  bundle.input_suite = "name: checks\nexpectations: []\n";
  std::map<std::string, std::string> files = AsMap(BundleFiles(bundle));
  for (const char* name :
       {"sluice.json", "model.json", "input_example.json", "reference_profile.json",
        "input_suite.yaml", "MLmodel", "requirements.txt", "python_env.yaml", "conda.yaml"}) {
    EXPECT_TRUE(files.contains(name)) << name;
  }
  ASSERT_OK_AND_ASSIGN(Bundle back, ReadBundle(ReaderOf(files)));
  EXPECT_EQ(back.algorithm, Algorithm::kXgboost);
  EXPECT_EQ(back.target.classes, bundle.target.classes);
  EXPECT_EQ(back.encoder.feature_names(), bundle.encoder.feature_names());
  EXPECT_EQ(back.model_bytes, bundle.model_bytes);
  EXPECT_EQ(back.input_example, bundle.input_example);
  EXPECT_EQ(back.reference_profile, bundle.reference_profile);
  EXPECT_EQ(back.input_suite, bundle.input_suite);
  EXPECT_EQ(back.libraries, bundle.libraries);
  EXPECT_EQ(back.run_id, bundle.run_id);
  EXPECT_EQ(back.created_ms, bundle.created_ms);
  EXPECT_EQ(back.metrics, bundle.metrics);

  // A bundle written before input suites existed has no key, and reads as having none.
  nlohmann::json index = nlohmann::json::parse(files["sluice.json"]);
  index.erase("input_suite");
  files["sluice.json"] = index.dump();
  files.erase("input_suite.yaml");
  ASSERT_OK_AND_ASSIGN(Bundle old, ReadBundle(ReaderOf(files)));
  EXPECT_EQ(old.input_suite, "");
}

TEST(BundleTest, MlmodelHasTheFlavorsMlflowLoadsXgboostWith) {
  Bundle bundle = MakeBundle(Algorithm::kXgboost, /*categorical=*/false);
  std::map<std::string, std::string> files = AsMap(BundleFiles(bundle));
  YAML::Node mlmodel = YAML::Load(files.at("MLmodel"));
  EXPECT_EQ(mlmodel["artifact_path"].as<std::string>(), "model");
  EXPECT_EQ(mlmodel["run_id"].as<std::string>(), bundle.run_id);
  EXPECT_EQ(mlmodel["flavors"]["xgboost"]["data"].as<std::string>(), "model.json");
  EXPECT_EQ(mlmodel["flavors"]["xgboost"]["model_format"].as<std::string>(), "json");
  EXPECT_EQ(mlmodel["flavors"]["xgboost"]["model_class"].as<std::string>(), "xgboost.core.Booster");
  EXPECT_EQ(mlmodel["flavors"]["xgboost"]["xgb_version"].as<std::string>(), "1.7.4");
  EXPECT_EQ(mlmodel["flavors"]["python_function"]["loader_module"].as<std::string>(),
            "mlflow.xgboost");
  EXPECT_EQ(mlmodel["utc_time_created"].as<std::string>(), "2025-11-29 04:20:00.123000");
  EXPECT_EQ(mlmodel["model_uuid"].as<std::string>().size(), 32u);
  EXPECT_EQ(mlmodel["saved_input_example_info"]["artifact_path"].as<std::string>(),
            "input_example.json");
  // MLflow stores the signature as JSON text inside the YAML.
  auto inputs = nlohmann::json::parse(mlmodel["signature"]["inputs"].as<std::string>());
  ASSERT_EQ(inputs.size(), 2u);
  EXPECT_EQ(inputs[0]["name"], "age");
  EXPECT_EQ(inputs[0]["type"], "double");
  EXPECT_EQ(inputs[1]["type"], "long");
  auto outputs = nlohmann::json::parse(mlmodel["signature"]["outputs"].as<std::string>());
  EXPECT_EQ(outputs[0]["tensor-spec"]["shape"], nlohmann::json::array({-1}));
  EXPECT_THAT(files.at("requirements.txt"), HasSubstr("xgboost==1.7.4"));
}

TEST(BundleTest, CategoricalInputsGiveMlflowTheEncodedFeatures) {
  Bundle bundle = MakeBundle(Algorithm::kXgboost, /*categorical=*/true);
  YAML::Node mlmodel = YAML::Load(AsMap(BundleFiles(bundle)).at("MLmodel"));
  auto inputs = nlohmann::json::parse(mlmodel["signature"]["inputs"].as<std::string>());
  ASSERT_EQ(inputs.size(), 4u);
  EXPECT_EQ(inputs[2]["name"], "plan=basic");
  EXPECT_FALSE(mlmodel["saved_input_example_info"]);  // the raw example would not fit it
}

TEST(BundleTest, LinearBundlesHaveNoXgboostFlavor) {
  Bundle bundle = MakeBundle(Algorithm::kLinear, /*categorical=*/false);
  std::map<std::string, std::string> files = AsMap(BundleFiles(bundle));
  EXPECT_TRUE(files.contains("linear.json"));
  YAML::Node mlmodel = YAML::Load(files.at("MLmodel"));
  EXPECT_FALSE(mlmodel["flavors"]["xgboost"]);
  EXPECT_EQ(mlmodel["flavors"]["sluice"]["algorithm"].as<std::string>(), "linear");
}

TEST(BundleTest, ReadingRefusesWhatItCannotTrust) {
  std::map<std::string, std::string> files =
      AsMap(BundleFiles(MakeBundle(Algorithm::kXgboost, false)));
  auto newer = files;
  auto index = nlohmann::json::parse(newer["sluice.json"]);
  index["format_version"] = 99;
  newer["sluice.json"] = index.dump();
  EXPECT_THAT(ReadBundle(ReaderOf(newer)),
              StatusIs(StatusCode::kUnimplemented, HasSubstr("bundle format 99 is newer")));

  auto not_a_bundle = files;
  not_a_bundle["sluice.json"] = "[1, 2]";
  EXPECT_THAT(ReadBundle(ReaderOf(not_a_bundle)),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("not a Sluice model bundle")));

  auto no_model = files;
  no_model.erase("model.json");
  EXPECT_THAT(ReadBundle(ReaderOf(no_model)), StatusIs(StatusCode::kNotFound));

  auto bad_field = files;
  index = nlohmann::json::parse(bad_field["sluice.json"]);
  index["algorithm"] = "catboost";
  bad_field["sluice.json"] = index.dump();
  EXPECT_THAT(ReadBundle(ReaderOf(bad_field)),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("unknown algorithm 'catboost'")));
}

}  // namespace
}  // namespace sluice::models
