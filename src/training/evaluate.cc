#include "training/evaluate.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "models/predictor.h"
#include "stats/metrics.h"
#include "training/internal/run_support.h"

namespace sluice::training {
namespace {

using Json = nlohmann::json;

Result<double> GateNumber(const YAML::Node& node, std::string_view key, std::string_view where) {
  try {
    return node.as<double>();
  } catch (const YAML::Exception&) {
    return InvalidArgument("{}: {} must be a number", where, key);
  }
}

struct Scored {
  std::map<std::string, double> metrics;
  models::Task task;
};

Result<Scored> Score(const models::Bundle& bundle, const table::Table& data,
                     const EvaluateRequest& request) {
  SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<models::Predictor> predictor,
                          models::LoadPredictor(bundle));
  SLUICE_ASSIGN_OR_RETURN(std::vector<double> labels, bundle.target.Labels(data));
  SLUICE_ASSIGN_OR_RETURN(std::vector<double> scores, predictor->Predict(data));
  return Scored{
      internal::ComputeMetrics(bundle.target.task, labels, scores, bundle.target.classes.size(),
                               request.metrics, request.threshold),
      bundle.target.task};
}

GateResult Check(const Gate& gate, const std::map<std::string, double>& metrics,
                 const std::map<std::string, double>& baseline) {
  GateResult result{.gate = gate};
  auto candidate = metrics.find(gate.metric);
  if (candidate == metrics.end()) {
    result.detail = fmt::format("{} could not be computed on this data", gate.metric);
    return result;
  }
  const double value = candidate->second;
  if (gate.min || gate.max) {
    result.value = value;
    result.passed = std::isfinite(value) && (!gate.min || value >= *gate.min) &&
                    (!gate.max || value <= *gate.max);
    result.detail = fmt::format("{} = {:.6g}", gate.metric, value);
    return result;
  }
  auto base = baseline.find(gate.metric);
  if (base == baseline.end()) {
    result.detail = fmt::format("the baseline's {} could not be computed", gate.metric);
    return result;
  }
  const double delta = value - base->second;
  result.value = delta;
  result.passed = std::isfinite(delta) && (!gate.min_delta || delta >= *gate.min_delta) &&
                  (!gate.max_delta || delta <= *gate.max_delta);
  result.detail = fmt::format("{} {:.6g} vs baseline {:.6g}: delta {:+.6g}", gate.metric, value,
                              base->second, delta);
  return result;
}

}  // namespace

std::string Gate::Describe() const {
  std::vector<std::string> parts;
  if (min) parts.push_back(fmt::format("{} >= {}", metric, *min));
  if (max) parts.push_back(fmt::format("{} <= {}", metric, *max));
  if (min_delta) parts.push_back(fmt::format("{} - baseline >= {}", metric, *min_delta));
  if (max_delta) parts.push_back(fmt::format("{} - baseline <= {}", metric, *max_delta));
  std::string out;
  for (const std::string& part : parts) out += (out.empty() ? "" : " and ") + part;
  return out;
}

Result<std::vector<Gate>> ParseGates(std::string_view yaml, std::string_view source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return InvalidArgument("{} line {}: {}", source, e.mark.line + 1, e.msg);
  }
  YAML::Node list = root.IsMap() ? root["gates"] : root;
  if (!list || !list.IsSequence()) {
    return InvalidArgument(
        "{}: expected `gates:` with a list of gates, e.g. "
        "`gates: [{{metric: auc, min: 0.8}}]`",
        source);
  }
  std::vector<Gate> gates;
  for (const YAML::Node& item : list) {
    const std::string where = fmt::format("{} line {}", source, item.Mark().line + 1);
    if (!item.IsMap())
      return InvalidArgument("{}: a gate is a map with `metric:` and a bound", where);
    Gate gate;
    for (const auto& entry : item) {
      const std::string key = entry.first.as<std::string>();
      if (key == "metric") {
        gate.metric = entry.second.as<std::string>();
      } else if (key == "min" || key == "max" || key == "min_delta" || key == "max_delta") {
        SLUICE_ASSIGN_OR_RETURN(double bound, GateNumber(entry.second, key, where));
        (key == "min"         ? gate.min
         : key == "max"       ? gate.max
         : key == "min_delta" ? gate.min_delta
                              : gate.max_delta) = bound;
      } else {
        return InvalidArgument(
            "{}: unknown gate key '{}'; use metric, min, max, min_delta, "
            "max_delta",
            where, key);
      }
    }
    if (gate.metric.empty()) return InvalidArgument("{}: the gate has no `metric:`", where);
    if (!gate.min && !gate.max && !gate.min_delta && !gate.max_delta) {
      return InvalidArgument("{}: gate on {} has no bound; add min, max, min_delta or max_delta",
                             where, gate.metric);
    }
    if ((gate.min || gate.max) && (gate.min_delta || gate.max_delta)) {
      return InvalidArgument("{}: gate on {} mixes absolute and delta bounds; write two gates",
                             where, gate.metric);
    }
    gates.push_back(std::move(gate));
  }
  return gates;
}

Result<EvaluateResult> Evaluate(const EvaluateRequest& request, const Services& services) {
  SLUICE_ASSIGN_OR_RETURN(models::Bundle candidate, LoadBundle(request.model_uri, services));
  std::optional<models::Bundle> baseline;
  if (!request.baseline_uri.empty()) {
    SLUICE_ASSIGN_OR_RETURN(baseline, LoadBundle(request.baseline_uri, services));
    if (baseline->target.task != candidate.target.task ||
        baseline->target.classes != candidate.target.classes) {
      return InvalidArgument(
          "baseline {} predicts {} ({} classes), the model {} ({}); compare "
          "models of the same task and classes",
          request.baseline_uri, models::TaskName(baseline->target.task),
          baseline->target.classes.size(), models::TaskName(candidate.target.task),
          candidate.target.classes.size());
    }
  }
  const models::Task task = candidate.target.task;
  SLUICE_RETURN_IF_ERROR(internal::CheckMetricNames(task, request.metrics, "--metrics"));
  std::vector<std::string> gate_metrics;
  for (const Gate& gate : request.gates) {
    gate_metrics.push_back(gate.metric);
    if ((gate.min_delta || gate.max_delta) && !baseline) {
      return InvalidArgument("gate '{}' compares with a baseline; pass --baseline <model-uri>",
                             gate.Describe());
    }
  }
  SLUICE_RETURN_IF_ERROR(internal::CheckMetricNames(task, gate_metrics, "gates"));
  SLUICE_ASSIGN_OR_RETURN(internal::LoadedData data,
                          internal::ReadData(request.data, services.datasets));

  EvaluateResult result;
  result.rows = data.table.num_rows();
  SLUICE_ASSIGN_OR_RETURN(Scored scored, Score(candidate, data.table, request));
  result.metrics = std::move(scored.metrics);
  if (baseline) {
    SLUICE_ASSIGN_OR_RETURN(Scored base, Score(*baseline, data.table, request));
    result.baseline_metrics = std::move(base.metrics);
  }
  for (const Gate& gate : request.gates) {
    result.gates.push_back(Check(gate, result.metrics, result.baseline_metrics));
    result.passed = result.passed && result.gates.back().passed;
  }

  // The record: an evaluation run with the data as its input.
  std::optional<registry::ModelVersion> version;
  if (request.model_uri.starts_with("models:/")) {
    SLUICE_ASSIGN_OR_RETURN(version, services.registry.Resolve(request.model_uri));
    result.model_version = fmt::format("{}/{}", version->name, version->version);
  }
  SLUICE_ASSIGN_OR_RETURN(std::string experiment_id,
                          internal::ExperimentId(services.tracking, request.experiment));
  std::vector<tracking::Tag> tags = {
      {"mlflow.user", services.user},
      {"mlflow.source.name", "sluice evaluate"},
      {"mlflow.source.type", "LOCAL"},
      {"sluice.evaluation.model", request.model_uri},
      {"sluice.evaluation.model_run", candidate.run_id},
      {"sluice.gate", request.gates.empty() ? "none"
                      : result.passed       ? "passed"
                                            : "failed"},
  };
  if (baseline) tags.push_back({"sluice.evaluation.baseline", request.baseline_uri});
  SLUICE_ASSIGN_OR_RETURN(
      tracking::Run run,
      services.tracking.CreateRun(
          {.experiment_id = experiment_id, .user_id = services.user, .tags = tags}));
  result.run_id = run.info.run_id;
  result.run_name = run.info.run_name;
  SLUICE_RETURN_IF_ERROR(
      services.tracking.LogInputs(run.info.run_id, {internal::DatasetInputOf(data, "evaluation")}));
  std::vector<tracking::Metric> metrics;
  const int64_t now = services.clock.NowMillis();
  for (const auto& [key, value] : result.metrics) {
    metrics.push_back({.key = key, .value = value, .timestamp = now});
  }
  for (const auto& [key, value] : result.baseline_metrics) {
    metrics.push_back({.key = "baseline_" + key, .value = value, .timestamp = now});
  }
  SLUICE_RETURN_IF_ERROR(services.tracking.LogBatch(run.info.run_id, metrics, {}, {}));
  Json gates = Json::array();
  for (const GateResult& g : result.gates) {
    gates.push_back({{"gate", g.gate.Describe()},
                     {"metric", g.gate.metric},
                     {"passed", g.passed},
                     {"detail", g.detail}});
  }
  if (std::optional<std::string> root = tracking::ArtifactStorePath(run.info.artifact_uri)) {
    SLUICE_RETURN_IF_ERROR(
        services.artifacts.Put(*root + "/gates.json", gates.dump(2) + "\n").status());
  }
  SLUICE_RETURN_IF_ERROR(services.tracking
                             .UpdateRun({.run_id = run.info.run_id,
                                         .status = "FINISHED",
                                         .end_time = services.clock.NowMillis()})
                             .status());
  if (version && !request.gates.empty()) {
    // The verdict on the version itself, where a promotion step (or a person) looks.
    registry::Change change{.actor = services.user, .reason = "sluice evaluate"};
    SLUICE_RETURN_IF_ERROR(services.registry.SetModelVersionTag(
        version->name, version->version, {"sluice.gate", result.passed ? "passed" : "failed"},
        change));
    SLUICE_RETURN_IF_ERROR(services.registry.SetModelVersionTag(
        version->name, version->version, {"sluice.gate.run", result.run_id}, change));
  }
  return result;
}

}  // namespace sluice::training
