#include "training/trainer.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "base/sha256.h"
#include "models/predictor.h"
#include "stats/metrics.h"
#include "table/table.h"
#include "tracking/validation.h"
#include "training/internal/data_check.h"
#include "training/internal/learners.h"
#include "training/internal/run_support.h"
#include "training/split.h"

namespace sluice::training {
namespace {

using internal::DatasetInputOf;
using internal::ExperimentId;
using internal::LoadedData;
using internal::ReadData;

using Json = nlohmann::json;
namespace fs = std::filesystem;

// Integer targets with at most this many distinct values are classes (task auto), more are a
// quantity to regress.
constexpr size_t kMaxAutoClasses = 20;
constexpr size_t kInputExampleRows = 5;

Result<models::Task> InferTask(const table::Column& target) {
  std::set<std::string> distinct;
  for (size_t row = 0; row < target.size() && distinct.size() <= kMaxAutoClasses; ++row) {
    if (!target.IsNull(row)) distinct.insert(target.ValueToString(row));
  }
  switch (target.type()) {
    case table::Type::kBool:
      return models::Task::kBinary;
    case table::Type::kString:
      return distinct.size() == 2 ? models::Task::kBinary : models::Task::kMulticlass;
    case table::Type::kInt64:
      if (distinct.size() == 2) return models::Task::kBinary;
      return distinct.size() <= kMaxAutoClasses ? models::Task::kMulticlass
                                                : models::Task::kRegression;
    case table::Type::kFloat64:
      if (distinct == std::set<std::string>{"0", "1"}) return models::Task::kBinary;
      return models::Task::kRegression;
    case table::Type::kTimestamp:
      break;
  }
  return InvalidArgument("target '{}' holds timestamps; set task explicitly or pick another column",
                         target.name());
}

// Every "auto" decided and every path absolute, so the stored config retrains the same model
// from anywhere.
Result<TrainConfig> Resolve(TrainConfig config, const table::Table& data, models::Task& task) {
  const std::string& target_name = config.String("target");
  SLUICE_ASSIGN_OR_RETURN(const table::Column* target, data.Get(target_name));
  if (config.String("task") == "auto") {
    SLUICE_ASSIGN_OR_RETURN(task, InferTask(*target));
    SLUICE_RETURN_IF_ERROR(config.Set("task", models::TaskName(task)));
  } else {
    SLUICE_ASSIGN_OR_RETURN(task, models::ParseTask(config.String("task")));
  }
  if (config.String("split.method") == "auto") {
    SLUICE_RETURN_IF_ERROR(
        config.Set("split.method", task == models::Task::kRegression ? "random" : "stratified"));
  }
  if (config.String("split.method") == "stratified" && task == models::Task::kRegression) {
    return InvalidArgument("split.method stratified needs classes; a regression target has none");
  }
  if (config.String("categorical_encoding") == "auto") {
    SLUICE_RETURN_IF_ERROR(config.Set(
        "categorical_encoding", config.String("algorithm") == "linear" ? "onehot" : "ordinal"));
  }
  if (config.Int("xgboost.nthread") == 0) {
    SLUICE_RETURN_IF_ERROR(config.Set(
        "xgboost.nthread", std::to_string(std::max(1u, std::thread::hardware_concurrency()))));
  }
  std::vector<std::string> features = config.List("features");
  const std::vector<std::string>& exclude = config.List("exclude");
  for (const std::string& name : exclude)
    SLUICE_RETURN_IF_ERROR(data.Get(name).status().WithContext("exclude"));
  if (features.empty()) {
    for (const std::string& name : data.ColumnNames()) {
      if (name == target_name) continue;
      if (std::find(exclude.begin(), exclude.end(), name) != exclude.end()) continue;
      features.push_back(name);
    }
  }
  if (features.empty()) {
    return InvalidArgument("no feature columns left: the data has only the target '{}'{}",
                           target_name, exclude.empty() ? "" : " and excluded columns");
  }
  for (const std::string& name : features) {
    if (name == target_name) {
      return InvalidArgument("the target '{}' cannot also be a feature", target_name);
    }
  }
  SLUICE_RETURN_IF_ERROR(internal::CheckMetricNames(task, config.List("metrics"), "metrics"));
  std::string joined;
  for (const std::string& name : features) joined += (joined.empty() ? "" : ",") + name;
  SLUICE_RETURN_IF_ERROR(config.Set("features", joined));
  return config;
}

// The first rows of the input columns in MLflow's split orientation, typed as JSON.
std::string InputExample(const table::Table& data, const models::FeatureEncoder& encoder) {
  Json columns = Json::array();
  Json rows = Json::array();
  const size_t n = std::min(kInputExampleRows, data.num_rows());
  for (size_t row = 0; row < n; ++row) rows.push_back(Json::array());
  for (const models::InputColumn& input : encoder.inputs()) {
    const table::Column* column = data.Find(input.name);
    columns.push_back(input.name);
    for (size_t row = 0; row < n; ++row) {
      Json value;
      if (column->IsNull(row)) {
        value = nullptr;
      } else if (column->type() == table::Type::kFloat64) {
        value = column->float64s()[row];
      } else if (column->type() == table::Type::kInt64) {
        value = column->int64s()[row];
      } else if (column->type() == table::Type::kBool) {
        value = column->bools()[row] != 0;
      } else {
        value = column->ValueToString(row);
      }
      rows[row].push_back(std::move(value));
    }
  }
  return Json{{"columns", std::move(columns)}, {"data", std::move(rows)}}.dump() + "\n";
}

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unknown";
  return name;
}

Result<internal::EncodedPart> Encode(const models::FeatureEncoder& encoder, bool float32,
                                     const table::Table& part, std::vector<double> labels) {
  internal::EncodedPart out{.labels = std::move(labels), .rows = part.num_rows()};
  if (float32) {
    SLUICE_ASSIGN_OR_RETURN(out.features32, encoder.EncodeFloat(part));
  } else {
    SLUICE_ASSIGN_OR_RETURN(out.features, encoder.EncodeDouble(part));
  }
  return out;
}

std::vector<double> Gather(const std::vector<double>& values, const std::vector<size_t>& rows) {
  std::vector<double> out;
  out.reserve(rows.size());
  for (size_t row : rows) out.push_back(values[row]);
  return out;
}

// MLflow's log-model history entry, so MLflow's UI and clients see the run's model.
std::string LogModelJson(const models::Bundle& bundle, const std::string& run_id) {
  Json flavors = Json::object();
  if (bundle.algorithm == models::Algorithm::kXgboost) {
    flavors["xgboost"] = {{"data", bundle.model_file()},
                          {"model_class", "xgboost.core.Booster"},
                          {"model_format", "json"},
                          {"xgb_version", bundle.libraries.at("xgboost")}};
    flavors["python_function"] = {{"loader_module", "mlflow.xgboost"},
                                  {"data", bundle.model_file()}};
  }
  flavors["sluice"] = {{"bundle", models::kBundleIndexFile},
                       {"format_version", models::kBundleFormatVersion}};
  return Json{{"run_id", run_id},
              {"artifact_path", kModelArtifactPath},
              {"utc_time_created", bundle.created_ms},
              {"flavors", std::move(flavors)}}
      .dump();
}

// The part of Train that runs once the run exists; any error marks the run FAILED.
class RunBody {
 public:
  RunBody(const Services& services, const TrainOptions& options, TrainResult& result)
      : services_(services), options_(options), result_(result) {}

  Status Go(const LoadedData& data, const std::optional<LoadedData>& test_data,
            const std::optional<internal::DataCheck>& check, const models::Target& target,
            const Split& split);

 private:
  Status LogMetrics(std::vector<tracking::Metric> metrics) {
    return services_.tracking.LogBatch(result_.run_id, metrics, {}, {});
  }
  Status PutArtifact(std::string_view path, std::string_view bytes) {
    return services_.artifacts.Put(artifact_root_ + "/" + std::string(path), bytes).status();
  }
  Status EvaluatePart(const models::Predictor& predictor, const table::Table& part,
                      const models::Target& target, std::string_view name);

  const Services& services_;
  const TrainOptions& options_;
  TrainResult& result_;
  std::string artifact_root_;
};

Status RunBody::EvaluatePart(const models::Predictor& predictor, const table::Table& part,
                             const models::Target& target, std::string_view name) {
  if (part.num_rows() == 0) return Status::Ok();
  SLUICE_ASSIGN_OR_RETURN(std::vector<double> labels, target.Labels(part));
  SLUICE_ASSIGN_OR_RETURN(std::vector<double> scores, predictor.Predict(part));
  const TrainConfig& config = result_.config;
  std::map<std::string, double> metrics =
      internal::ComputeMetrics(result_.task, labels, scores, target.classes.size(),
                               config.List("metrics"), config.Double("threshold"));
  std::vector<tracking::Metric> logged;
  const int64_t now = services_.clock.NowMillis();
  for (const auto& [metric, value] : metrics) {
    std::string key = fmt::format("{}_{}", name, metric);
    result_.metrics[key] = value;
    logged.push_back({.key = key, .value = value, .timestamp = now, .step = 0});
  }
  return LogMetrics(std::move(logged));
}

Status RunBody::Go(const LoadedData& data, const std::optional<LoadedData>& test_data,
                   const std::optional<internal::DataCheck>& check, const models::Target& target,
                   const Split& split) {
  const TrainConfig& config = result_.config;
  SLUICE_ASSIGN_OR_RETURN(tracking::Run run, services_.tracking.GetRun(result_.run_id));
  std::optional<std::string> root = tracking::ArtifactStorePath(run.info.artifact_uri);
  if (!root) {
    return Unimplemented("run artifacts at '{}' are outside this workspace's artifact store",
                         run.info.artifact_uri);
  }
  artifact_root_ = *root;

  // Params: the resolved config, in batches of MLflow's limit.
  std::vector<tracking::Param> params;
  for (const auto& [key, value] : config.Params()) {
    params.push_back({key, value.substr(0, tracking::kMaxParamValueLength)});
  }
  for (size_t begin = 0; begin < params.size(); begin += tracking::kMaxBatchParams) {
    size_t end = std::min(params.size(), begin + tracking::kMaxBatchParams);
    SLUICE_RETURN_IF_ERROR(services_.tracking.LogBatch(
        result_.run_id, {}, {params.begin() + begin, params.begin() + end}, {}));
  }
  std::vector<tracking::DatasetInput> inputs = {DatasetInputOf(data, "train")};
  if (test_data) inputs.push_back(DatasetInputOf(*test_data, "test"));
  SLUICE_RETURN_IF_ERROR(services_.tracking.LogInputs(result_.run_id, inputs));
  SLUICE_RETURN_IF_ERROR(PutArtifact(kConfigArtifact, config.ToYaml()));
  if (check) {
    SLUICE_RETURN_IF_ERROR(PutArtifact(kDataCheckArtifact, check->ToJson().dump(2) + "\n"));
  }

  table::Table train = data.table.Take(split.train);
  table::Table validation = data.table.Take(split.validation);
  table::Table test = test_data ? test_data->table : data.table.Take(split.test);
  result_.train_rows = train.num_rows();
  result_.validation_rows = validation.num_rows();
  result_.test_rows = test.num_rows();

  SLUICE_ASSIGN_OR_RETURN(models::Encoding categorical,
                          models::ParseEncoding(config.String("categorical_encoding")));
  SLUICE_ASSIGN_OR_RETURN(models::FeatureEncoder encoder,
                          models::FeatureEncoder::Fit(train, config.List("features"), categorical));
  result_.num_features = encoder.num_features();
  SLUICE_ASSIGN_OR_RETURN(std::vector<double> all_labels, target.Labels(data.table));
  const bool linear = config.String("algorithm") == "linear";
  SLUICE_ASSIGN_OR_RETURN(internal::EncodedPart train_part,
                          Encode(encoder, !linear, train, Gather(all_labels, split.train)));
  SLUICE_ASSIGN_OR_RETURN(
      internal::EncodedPart validation_part,
      Encode(encoder, !linear, validation, Gather(all_labels, split.validation)));

  internal::LearnerInput input{
      .config = config,
      .task = result_.task,
      .num_classes = target.classes.size(),
      .feature_names = encoder.feature_names(),
      .train = train_part,
      .validation = validation_part,
      .log_metrics = [this](std::vector<tracking::Metric> m) { return LogMetrics(std::move(m)); },
      .on_progress = options_.on_progress,
      .now_ms = [this] { return services_.clock.NowMillis(); },
  };
  SLUICE_ASSIGN_OR_RETURN(internal::LearnerOutput learned,
                          linear ? internal::FitLinear(input) : internal::FitXgboost(input));
  result_.rounds = learned.rounds;
  result_.best_round = learned.best_round;
  result_.importance = learned.importance;
  result_.model_sha256 = Sha256::HexOf(learned.model_bytes);

  models::Bundle bundle;
  SLUICE_ASSIGN_OR_RETURN(bundle.algorithm, models::ParseAlgorithm(config.String("algorithm")));
  bundle.target = target;
  bundle.encoder = encoder;
  bundle.model_bytes = std::move(learned.model_bytes);
  bundle.input_example = InputExample(train, encoder);
  bundle.libraries = std::move(learned.libraries);
  bundle.libraries["sluice"] = SLUICE_VERSION;
  bundle.run_id = result_.run_id;
  bundle.created_ms = services_.clock.NowMillis();
  if (check) bundle.input_suite = validation::SuiteToYaml(check->suite);

  // Scoring through the bundle's own predictor checks the bundle before anyone relies on it.
  SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<models::Predictor> predictor,
                          models::LoadPredictor(bundle));
  SLUICE_RETURN_IF_ERROR(EvaluatePart(*predictor, train, target, "train"));
  SLUICE_RETURN_IF_ERROR(EvaluatePart(*predictor, validation, target, "validation"));
  SLUICE_RETURN_IF_ERROR(EvaluatePart(*predictor, test, target, "test"));
  for (const auto& [key, value] : result_.metrics) {
    if (key.starts_with("validation_") || key.starts_with("test_")) bundle.metrics[key] = value;
  }

  std::vector<tracking::Metric> summary = {{.key = "rounds",
                                            .value = static_cast<double>(result_.rounds),
                                            .timestamp = services_.clock.NowMillis()}};
  if (result_.best_round) {
    summary.push_back({.key = "best_round",
                       .value = static_cast<double>(*result_.best_round),
                       .timestamp = services_.clock.NowMillis()});
  }
  SLUICE_RETURN_IF_ERROR(LogMetrics(std::move(summary)));

  Json importance = Json::array();
  for (const auto& [feature, value] : result_.importance) {
    importance.push_back({{"feature", feature}, {"importance", value}});
  }
  SLUICE_RETURN_IF_ERROR(PutArtifact("feature_importance.json", importance.dump(2) + "\n"));
  for (const models::BundleFile& file : models::BundleFiles(bundle)) {
    SLUICE_RETURN_IF_ERROR(
        PutArtifact(fmt::format("{}/{}", kModelArtifactPath, file.name), file.bytes));
  }
  SLUICE_RETURN_IF_ERROR(
      services_.tracking.LogModel(result_.run_id, LogModelJson(bundle, result_.run_id)));
  return services_.tracking.SetTag(result_.run_id,
                                   {std::string(kModelDigestTag), result_.model_sha256});
}

}  // namespace

Result<TrainResult> Train(const TrainConfig& requested, const Services& services,
                          const TrainOptions& options) {
  SLUICE_RETURN_IF_ERROR(requested.Validate());
  SLUICE_ASSIGN_OR_RETURN(LoadedData data, ReadData(requested.String("data"), services.datasets));
  std::optional<LoadedData> test_data;
  if (!requested.String("test_data").empty()) {
    SLUICE_ASSIGN_OR_RETURN(test_data, ReadData(requested.String("test_data"), services.datasets));
  }
  std::optional<internal::DataCheck> check;
  if (!requested.String("suite").empty()) {
    SLUICE_ASSIGN_OR_RETURN(check, internal::CheckData(requested.String("suite"), data, test_data));
  }
  TrainResult result;
  SLUICE_ASSIGN_OR_RETURN(result.config, Resolve(requested, data.table, result.task));
  TrainConfig& config = result.config;
  SLUICE_RETURN_IF_ERROR(config.Set("data", data.source));
  if (check) {
    SLUICE_RETURN_IF_ERROR(config.Set("suite", check->suite_path));
    result.data_check = check->train;
  }
  if (test_data) {
    SLUICE_RETURN_IF_ERROR(config.Set("test_data", test_data->source));
    SLUICE_RETURN_IF_ERROR(config.Set("split.test", "0"));
  }
  SLUICE_ASSIGN_OR_RETURN(models::Target target,
                          models::Target::Fit(data.table, config.String("target"), result.task));
  if (test_data)
    SLUICE_RETURN_IF_ERROR(target.Labels(test_data->table).status().WithContext("test_data"));
  std::vector<double> labels;
  if (result.task != models::Task::kRegression) {
    SLUICE_ASSIGN_OR_RETURN(labels, target.Labels(data.table));
  }
  const std::string& method = config.String("split.method");
  SplitSpec spec{.method = method == "random"       ? SplitMethod::kRandom
                           : method == "stratified" ? SplitMethod::kStratified
                                                    : SplitMethod::kTime,
                 .validation = config.Double("split.validation"),
                 .test = config.Double("split.test"),
                 .seed = static_cast<uint64_t>(config.Int("seed")),
                 .time_column = config.String("split.time_column")};
  SLUICE_ASSIGN_OR_RETURN(Split split, SplitRows(data.table, labels, spec));
  result.data_sha256 = data.sha256;

  SLUICE_ASSIGN_OR_RETURN(result.experiment_id,
                          ExperimentId(services.tracking, config.String("experiment")));
  std::vector<tracking::Tag> tags = {
      {"mlflow.user", services.user},
      {"mlflow.source.name", "sluice train"},
      {"mlflow.source.type", "LOCAL"},
      {"sluice.algorithm", config.String("algorithm")},
      {"sluice.task", std::string(models::TaskName(result.task))},
      {"sluice.host", HostName()},
      {"sluice.version", SLUICE_VERSION},
      {std::string(kDataDigestTag), data.sha256},
  };
  if (check) tags.push_back({std::string(kDataSuiteTag), check->suite.name});
  tags.insert(tags.end(), options.tags.begin(), options.tags.end());
  SLUICE_ASSIGN_OR_RETURN(tracking::Run run,
                          services.tracking.CreateRun({.experiment_id = result.experiment_id,
                                                       .user_id = services.user,
                                                       .run_name = config.String("run_name"),
                                                       .tags = tags}));
  result.run_id = run.info.run_id;
  result.run_name = run.info.run_name;

  RunBody body(services, options, result);
  Status status = body.Go(data, test_data, check, target, split);
  const std::string final_status = status.ok() ? "FINISHED" : "FAILED";
  if (!status.ok()) {
    // Best effort: the error that failed the run matters more than one recording it.
    (void)services.tracking.SetTag(result.run_id,
                                   {"sluice.error", status.ToString().substr(0, 5000)});
  }
  SLUICE_RETURN_IF_ERROR(services.tracking
                             .UpdateRun({.run_id = result.run_id,
                                         .status = final_status,
                                         .end_time = services.clock.NowMillis()})
                             .status());
  SLUICE_RETURN_IF_ERROR(status.WithContext(fmt::format("training run {}", result.run_id)));

  if (const std::string& name = config.String("register"); !name.empty()) {
    SLUICE_ASSIGN_OR_RETURN(
        result.registered,
        services.registry.CreateModelVersion(
            {.name = name,
             .source = fmt::format("runs:/{}/{}", result.run_id, kModelArtifactPath),
             .run_id = result.run_id,
             .change = {.actor = services.user, .reason = "sluice train --register"}}));
  }
  return result;
}

Result<models::Bundle> LoadBundle(std::string_view model_uri, const Services& services) {
  SLUICE_ASSIGN_OR_RETURN(auto files, services.registry.ModelFiles(model_uri, services.artifacts));
  return models::ReadBundle(files).WithContext(std::string(model_uri));
}

}  // namespace sluice::training
