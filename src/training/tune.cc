#include "training/tune.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cmath>

#include "stats/metrics.h"
#include "training/internal/rng.h"
#include "training/internal/run_support.h"

namespace sluice::training {
namespace {

std::string HeadlineMetric(models::Task task) {
  switch (task) {
    case models::Task::kBinary:
      return "validation_auc";
    case models::Task::kMulticlass:
      return "validation_macro_f1";
    case models::Task::kRegression:
      return "validation_rmse";
  }
  return "validation_rmse";
}

Result<SearchDimension> ParseDimension(const std::string& key, const YAML::Node& node,
                                       const std::string& where) {
  const ParamSpec* spec = TrainConfig::FindSpec(key);
  if (spec == nullptr) {
    return InvalidArgument("{}: tune.space: '{}' is not a train.yaml field", where, key);
  }
  SearchDimension dim{.key = key};
  TrainConfig probe;  // each candidate value must be one the field accepts
  if (node.IsSequence()) {
    for (const YAML::Node& choice : node) {
      dim.choices.push_back(choice.as<std::string>());
      SLUICE_RETURN_IF_ERROR(
          probe.Set(key, dim.choices.back()).WithContext(where + ": tune.space"));
    }
    if (dim.choices.empty()) return InvalidArgument("{}: tune.space.{} has no choices", where, key);
    return dim;
  }
  if (!node.IsMap() || !node["min"] || !node["max"]) {
    return InvalidArgument("{}: tune.space.{} must be a list of choices or {{min: .., max: ..}}",
                           where, key);
  }
  if (spec->kind != ParamKind::kInt && spec->kind != ParamKind::kDouble) {
    return InvalidArgument("{}: tune.space.{} is not numeric; give a list of choices", where, key);
  }
  try {
    dim.min = node["min"].as<double>();
    dim.max = node["max"].as<double>();
    dim.log = node["log"] && node["log"].as<bool>();
  } catch (const YAML::Exception&) {
    return InvalidArgument("{}: tune.space.{}: min and max must be numbers, log true or false",
                           where, key);
  }
  for (const auto& entry : node) {
    const std::string field = entry.first.as<std::string>();
    if (field != "min" && field != "max" && field != "log") {
      return InvalidArgument("{}: tune.space.{}: unknown key '{}'; use min, max, log", where, key,
                             field);
    }
  }
  dim.integer = spec->kind == ParamKind::kInt;
  if (dim.min > dim.max) {
    return InvalidArgument("{}: tune.space.{}: min {} is above max {}", where, key, dim.min,
                           dim.max);
  }
  if (dim.log && dim.min <= 0) {
    return InvalidArgument("{}: tune.space.{}: a log range must start above 0", where, key);
  }
  for (double bound : {dim.min, dim.max}) {
    std::string text =
        dim.integer ? fmt::format("{}", static_cast<int64_t>(bound)) : fmt::format("{}", bound);
    SLUICE_RETURN_IF_ERROR(probe.Set(key, text).WithContext(where + ": tune.space"));
  }
  return dim;
}

std::string Sample(const SearchDimension& dim, internal::Rng& rng) {
  if (!dim.choices.empty()) return dim.choices[rng.Below(dim.choices.size())];
  double value =
      dim.log
          ? std::exp(std::log(dim.min) + rng.Uniform() * (std::log(dim.max) - std::log(dim.min)))
          : dim.min + rng.Uniform() * (dim.max - dim.min);
  if (dim.integer) {
    return fmt::format("{}", std::clamp<int64_t>(std::llround(value), std::llround(dim.min),
                                                 std::llround(dim.max)));
  }
  return fmt::format("{:.6g}", value);
}

}  // namespace

Result<TuneSpec> ParseTuneSpec(std::string_view yaml, std::string_view source) {
  TuneSpec spec;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return InvalidArgument("{} line {}: {}", source, e.mark.line + 1, e.msg);
  }
  if (!root || root.IsNull()) {
    return InvalidArgument(
        "{}: no `tune:` section; add `tune: {{space: {{...}}}}` naming the "
        "fields to search",
        source);
  }
  if (!root.IsMap()) return InvalidArgument("{}: `tune:` must be a map", source);
  const std::string where(source);
  for (const auto& entry : root) {
    const std::string key = entry.first.as<std::string>();
    try {
      if (key == "trials") {
        spec.trials = entry.second.as<int>();
        if (spec.trials < 1 || spec.trials > 10000) {
          return InvalidArgument("{}: tune.trials must be 1 to 10000", where);
        }
      } else if (key == "metric") {
        spec.metric = entry.second.as<std::string>();
      } else if (key == "space") {
        if (!entry.second.IsMap()) return InvalidArgument("{}: tune.space must be a map", where);
        for (const auto& dim : entry.second) {
          SLUICE_ASSIGN_OR_RETURN(SearchDimension d,
                                  ParseDimension(dim.first.as<std::string>(), dim.second, where));
          spec.space.push_back(std::move(d));
        }
      } else {
        return InvalidArgument("{}: unknown field 'tune.{}'; use trials, metric, space", where,
                               key);
      }
    } catch (const YAML::Exception& e) {
      return InvalidArgument("{}: tune.{}: {}", where, key, e.msg);
    }
  }
  if (spec.space.empty()) {
    return InvalidArgument("{}: tune.space is empty; name at least one field to search", where);
  }
  return spec;
}

Result<TuneResult> Tune(const TrainConfig& base, const TuneSpec& spec, const Services& services,
                        const std::function<void(const Trial&, size_t done)>& on_trial) {
  SLUICE_RETURN_IF_ERROR(base.Validate());
  TuneResult result{.metric = spec.metric};
  SLUICE_ASSIGN_OR_RETURN(std::string experiment_id,
                          internal::ExperimentId(services.tracking, base.String("experiment")));
  SLUICE_ASSIGN_OR_RETURN(tracking::Run parent, services.tracking.CreateRun(
                                                    {.experiment_id = experiment_id,
                                                     .user_id = services.user,
                                                     .run_name = base.String("run_name"),
                                                     .tags = {{"mlflow.user", services.user},
                                                              {"mlflow.source.name", "sluice tune"},
                                                              {"mlflow.source.type", "LOCAL"}}}));
  result.parent_run_id = parent.info.run_id;
  result.parent_run_name = parent.info.run_name;
  std::vector<tracking::Param> params = {{"tune.trials", std::to_string(spec.trials)}};
  for (const SearchDimension& dim : spec.space) {
    std::string text;
    if (!dim.choices.empty()) {
      for (const std::string& c : dim.choices) text += (text.empty() ? "" : "|") + c;
    } else {
      text = fmt::format("{}..{}{}", dim.min, dim.max, dim.log ? " log" : "");
    }
    params.push_back({"tune.space." + dim.key, text});
  }

  internal::Rng rng(static_cast<uint64_t>(base.Int("seed")) ^ 0x74756e65ull);  // "tune"
  Status failed = Status::Ok();
  for (int i = 0; i < spec.trials; ++i) {
    TrainConfig config = base;
    Trial trial;
    for (const SearchDimension& dim : spec.space) {
      trial.values[dim.key] = Sample(dim, rng);
      SLUICE_RETURN_IF_ERROR(config.Set(dim.key, trial.values[dim.key]));
    }
    SLUICE_RETURN_IF_ERROR(config.Set("register", ""));
    SLUICE_RETURN_IF_ERROR(
        config.Set("run_name", fmt::format("{}-trial-{}", result.parent_run_name, i + 1)));
    Result<TrainResult> trained =
        Train(config, services, {.tags = {{std::string(kParentRunTag), result.parent_run_id}}});
    if (trained.ok()) {
      trial.run_id = trained->run_id;
      if (result.metric.empty()) result.metric = HeadlineMetric(trained->task);
      auto it = trained->metrics.find(result.metric);
      if (it == trained->metrics.end()) {
        SLUICE_RETURN_IF_ERROR(services.tracking
                                   .UpdateRun({.run_id = result.parent_run_id,
                                               .status = "FAILED",
                                               .end_time = services.clock.NowMillis()})
                                   .status());
        return InvalidArgument(
            "tune.metric '{}' is not a metric of the trials; use "
            "validation_<metric>, e.g. {}",
            result.metric, HeadlineMetric(trained->task));
      }
      trial.score = it->second;
      result.higher_is_better = stats::HigherIsBetter(
          std::string_view(result.metric).substr(result.metric.find('_') + 1));
    } else {
      trial.error = trained.status().ToString();
      failed = trained.status();
    }
    result.trials.push_back(trial);
    if (trial.score) {
      const bool better = !result.best || (result.higher_is_better
                                               ? *trial.score > *result.trials[*result.best].score
                                               : *trial.score < *result.trials[*result.best].score);
      if (better) result.best = result.trials.size() - 1;
      SLUICE_RETURN_IF_ERROR(services.tracking.LogMetric(
          result.parent_run_id, {.key = "best_" + result.metric,
                                 .value = *result.trials[*result.best].score,
                                 .timestamp = services.clock.NowMillis(),
                                 .step = i}));
    }
    if (on_trial) on_trial(result.trials.back(), result.trials.size());
  }

  if (!result.best) {
    SLUICE_RETURN_IF_ERROR(services.tracking
                               .UpdateRun({.run_id = result.parent_run_id,
                                           .status = "FAILED",
                                           .end_time = services.clock.NowMillis()})
                               .status());
    return FailedPrecondition("every trial failed; the last error: {}", failed.ToString());
  }
  const Trial& best = result.trials[*result.best];
  params.push_back({"tune.metric", result.metric});
  for (const auto& [key, value] : best.values) params.push_back({"best." + key, value});
  SLUICE_RETURN_IF_ERROR(services.tracking.LogBatch(result.parent_run_id, {}, params,
                                                    {{"sluice.tune.best_run", best.run_id}}));
  SLUICE_RETURN_IF_ERROR(services.tracking
                             .UpdateRun({.run_id = result.parent_run_id,
                                         .status = "FINISHED",
                                         .end_time = services.clock.NowMillis()})
                             .status());
  if (const std::string& name = base.String("register"); !name.empty()) {
    SLUICE_ASSIGN_OR_RETURN(
        result.registered,
        services.registry.CreateModelVersion(
            {.name = name,
             .source = fmt::format("runs:/{}/{}", best.run_id, kModelArtifactPath),
             .run_id = best.run_id,
             .change = {.actor = services.user, .reason = "sluice tune --register (best trial)"}}));
  }
  return result;
}

}  // namespace sluice::training
