#include "training/config.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <vector>

#include "base/strings.h"

namespace sluice::training {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
using K = ParamKind;

// Constructors of the table's rows, one per kind, so each row reads as a sentence.
constexpr ParamSpec Required(std::string_view key, std::string_view help) {
  return {.key = key, .kind = K::kString, .default_value = "", .help = help, .required = true};
}
constexpr ParamSpec Text(std::string_view key, std::string_view def, std::string_view help) {
  return {.key = key, .kind = K::kString, .default_value = def, .help = help};
}
constexpr ParamSpec List(std::string_view key, std::string_view help) {
  return {.key = key, .kind = K::kList, .default_value = "", .help = help};
}
constexpr ParamSpec Flag(std::string_view key, std::string_view def, std::string_view help) {
  return {.key = key, .kind = K::kBool, .default_value = def, .help = help};
}
constexpr ParamSpec Choice(std::string_view key, std::string_view def, std::string_view choices,
                           std::string_view help) {
  return {.key = key, .kind = K::kChoice, .default_value = def, .help = help, .choices = choices};
}
constexpr ParamSpec Integer(std::string_view key, std::string_view def, double min, double max,
                            std::string_view help) {
  return {.key = key, .kind = K::kInt, .default_value = def, .help = help, .min = min, .max = max};
}
constexpr ParamSpec Number(std::string_view key, std::string_view def, double min, double max,
                           std::string_view help) {
  return {
      .key = key, .kind = K::kDouble, .default_value = def, .help = help, .min = min, .max = max};
}
// A number in (min, max]: a rate or fraction that must not be zero.
constexpr ParamSpec Fraction(std::string_view key, std::string_view def, double min, double max,
                             std::string_view help) {
  return {.key = key,
          .kind = K::kDouble,
          .default_value = def,
          .help = help,
          .min = min,
          .max = max,
          .min_exclusive = true};
}

// The one declaration of every field. Keys of XGBoost's parameters are XGBoost's own names, so
// its documentation applies unchanged.
constexpr ParamSpec kSpecs[] = {
    Required("data",
             "The training data: a CSV, TSV or JSONL file, or a dataset version (churn, churn@2, "
             "churn@TAG)"),
    Text("test_data", "",
         "A separate test file or dataset version; when set, no test split is cut from `data`"),
    Text("suite", "",
         "An expectation suite (YAML or Great Expectations JSON, see `sluice validate`) the data "
         "must pass: failing data is refused before anything is recorded, the results are "
         "stored as the artifact data_validation.json, and the suite travels with the model "
         "(input_suite.yaml) for serving to check requests against"),
    Required("target", "The column to predict"),
    Choice("task", "auto", "auto|binary|multiclass|regression",
           "What to predict; auto: bool or two values -> binary, strings or few integers -> "
           "multiclass, else regression"),
    List("features", "Input columns (default: every column but the target and `exclude`)"),
    List("exclude", "Columns never used as features (ids, timestamps, leaks)"),
    Choice("categorical_encoding", "auto", "auto|ordinal|onehot",
           "How string columns become features; auto: ordinal for xgboost, onehot for linear"),
    Choice("algorithm", "xgboost", "xgboost|linear", "The learner"),
    Integer("seed", "42", 0, 2147483647,
            "Seed of the split and of the learner: same seed, same model"),
    Choice("split.method", "auto", "auto|random|stratified|time",
           "How rows are split; auto: stratified for classification, random for regression; time: "
           "the latest rows by `split.time_column` are held out"),
    Number("split.validation", "0.2", 0, 0.9,
           "Fraction of rows for validation (early stopping, model selection)"),
    Number("split.test", "0.1", 0, 0.9, "Fraction of rows for the final test"),
    Text("split.time_column", "", "The column ordering rows in time (split.method: time)"),
    Integer("xgboost.num_rounds", "200", 1, 100000, "Boosting rounds (trees per output)"),
    Fraction("xgboost.learning_rate", "0.1", 0, 1, "Shrinkage of each tree (eta)"),
    Integer("xgboost.max_depth", "6", 0, 64, "Maximum tree depth (0: no limit, lossguide only)"),
    Number("xgboost.min_child_weight", "1", 0, kInf, "Minimum hessian sum in a leaf"),
    Fraction("xgboost.subsample", "1", 0, 1, "Fraction of rows sampled per tree"),
    Fraction("xgboost.colsample_bytree", "1", 0, 1, "Fraction of features sampled per tree"),
    Number("xgboost.reg_lambda", "1", 0, kInf, "L2 penalty on leaf weights"),
    Number("xgboost.reg_alpha", "0", 0, kInf, "L1 penalty on leaf weights"),
    Number("xgboost.gamma", "0", 0, kInf, "Minimum loss reduction to split"),
    Integer("xgboost.max_bin", "256", 2, 65535, "Histogram bins per feature (hist, approx)"),
    Choice("xgboost.tree_method", "hist", "hist|approx|exact", "Tree construction algorithm"),
    Fraction("xgboost.scale_pos_weight", "1", 0, kInf,
             "Weight of positive rows (binary imbalance)"),
    Choice(
        "xgboost.eval_metric", "auto", "auto|logloss|auc|aucpr|error|mlogloss|merror|rmse|mae",
        "Metric of early stopping and per-round logging; auto: logloss, mlogloss or rmse by task"),
    Integer("xgboost.early_stopping_rounds", "20", 0, 100000,
            "Stop after this many rounds without improvement on validation (0: never)"),
    Integer("xgboost.nthread", "0", 0, 1024,
            "Threads (0: all cores); recorded, since the thread count can change the last bits"),
    Number("linear.l2", "1e-4", 0, kInf,
           "L2 penalty (ridge) on standardized weights: mean loss + l2/2 |w|^2 (sklearn C = 1/(l2 "
           "n))"),
    Number("linear.l1", "0", 0, kInf, "L1 penalty (lasso): + l1 |w|_1"),
    Integer("linear.max_iterations", "1000", 1, 1000000, "Solver iterations at most"),
    Fraction("linear.tolerance", "1e-8", 0, 1, "Solver convergence tolerance"),
    Flag("linear.standardize", "true", "Fit on standardized features"),
    List("metrics", "Metrics to compute (default: all for the task)"),
    Fraction("threshold", "0.5", 0, 1, "Probability above which a binary prediction is positive"),
    Text("experiment", "Default", "Experiment of the run (created when missing)"),
    Text("run_name", "", "Name of the run (default: a generated one)"),
    Text("register", "", "Register the model under this name when training succeeds"),
};

std::string Kind(const ParamSpec& spec) {
  switch (spec.kind) {
    case K::kInt:
      return "int";
    case K::kDouble:
      return "number";
    case K::kBool:
      return "bool";
    case K::kString:
      return "string";
    case K::kChoice:
      return std::string(spec.choices);
    case K::kList:
      return "list";
  }
  return "?";
}

std::string Range(const ParamSpec& spec) {
  if (spec.kind != K::kInt && spec.kind != K::kDouble) return "";
  if (spec.min == -kInf && spec.max == kInf) return "";
  std::string low =
      spec.min == -kInf ? "(-inf" : fmt::format("{}{}", spec.min_exclusive ? "(" : "[", spec.min);
  std::string high = spec.max == kInf ? "inf)" : fmt::format("{}]", spec.max);
  return low + ", " + high;
}

Status OutOfRange(const ParamSpec& spec, std::string_view value) {
  return InvalidArgument("{}: {} is out of range {}", spec.key, value, Range(spec));
}

Status CheckNumber(const ParamSpec& spec, double number, std::string_view value) {
  if (number < spec.min || number > spec.max || (spec.min_exclusive && number == spec.min)) {
    return OutOfRange(spec, value);
  }
  return Status::Ok();
}

std::vector<std::string_view> AllKeys() {
  std::vector<std::string_view> keys;
  for (const ParamSpec& spec : kSpecs) keys.push_back(spec.key);
  return keys;
}

Status UnknownField(std::string_view key, std::string_view source) {
  std::vector<std::string_view> keys = AllKeys();
  std::string near = ClosestMatch(key, keys);
  return InvalidArgument("{}unknown field '{}'{}; `sluice train --help-config` lists them all",
                         source.empty() ? "" : fmt::format("{}: ", source), key,
                         near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near));
}

std::string JoinList(const std::vector<std::string>& items) {
  return fmt::format("{}", fmt::join(items, ","));
}

// Flattens nested maps into dotted keys and applies each leaf.
Status ApplyNode(TrainConfig& config, const YAML::Node& node, const std::string& prefix,
                 std::string_view source) {
  for (const auto& entry : node) {
    std::string key = prefix + entry.first.as<std::string>();
    const YAML::Node& value = entry.second;
    const ParamSpec* spec = TrainConfig::FindSpec(key);
    std::string where = fmt::format("{} line {}", source, entry.first.Mark().line + 1);
    if (spec == nullptr) {
      if (value.IsMap()) {
        SLUICE_RETURN_IF_ERROR(ApplyNode(config, value, key + ".", source));
        continue;
      }
      return UnknownField(key, where);
    }
    std::string text;
    if (value.IsSequence()) {
      if (spec->kind != K::kList)
        return InvalidArgument("{}: {} takes one value, not a list", where, key);
      std::vector<std::string> items;
      for (const auto& item : value) {
        if (!item.IsScalar()) return InvalidArgument("{}: {} items must be names", where, key);
        items.push_back(item.as<std::string>());
      }
      text = JoinList(items);
    } else if (value.IsNull()) {
      text = "";
    } else if (value.IsScalar()) {
      text = value.as<std::string>();
    } else {
      return InvalidArgument("{}: {} takes a {}, not a map", where, key, Kind(*spec));
    }
    SLUICE_RETURN_IF_ERROR(config.Set(key, text).WithContext(where));
  }
  return Status::Ok();
}

void EmitNested(YAML::Emitter& out, const std::map<std::string, std::string>& params) {
  // Keys sharing a prefix are adjacent in a sorted map only by accident; group by section.
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> sections;
  std::vector<std::pair<std::string, std::string>> top;
  for (const ParamSpec& spec : kSpecs) {
    const std::string key(spec.key);
    const std::string& value = params.at(key);
    size_t dot = key.find('.');
    if (dot == std::string::npos) {
      top.emplace_back(key, value);
    } else {
      sections[key.substr(0, dot)].emplace_back(key.substr(dot + 1), value);
    }
  }
  auto emit_value = [&](const std::string& key, const std::string& value) {
    const ParamSpec* spec = TrainConfig::FindSpec(key);
    if (spec != nullptr && spec->kind == K::kList) {
      out << YAML::Flow << YAML::BeginSeq;
      for (const std::string& item : SplitList(value)) out << item;
      out << YAML::EndSeq;
    } else {
      out << value;
    }
  };
  out << YAML::BeginMap;
  for (const auto& [key, value] : top) {
    out << YAML::Key << key << YAML::Value;
    emit_value(key, value);
  }
  for (const auto& [section, entries] : sections) {
    out << YAML::Key << section << YAML::Value << YAML::BeginMap;
    for (const auto& [key, value] : entries) {
      out << YAML::Key << key << YAML::Value;
      emit_value(section + "." + key, value);
    }
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
}

}  // namespace

TrainConfig::TrainConfig() {
  for (const ParamSpec& spec : kSpecs) {
    if (spec.kind == K::kList) {
      lists_[std::string(spec.key)] = SplitList(spec.default_value);
    } else {
      scalars_[std::string(spec.key)] = std::string(spec.default_value);
    }
  }
}

std::span<const ParamSpec> TrainConfig::Specs() { return kSpecs; }

const ParamSpec* TrainConfig::FindSpec(std::string_view key) {
  for (const ParamSpec& spec : kSpecs) {
    if (spec.key == key) return &spec;
  }
  return nullptr;
}

Result<TrainConfig> TrainConfig::FromYaml(std::string_view yaml, std::string_view source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return InvalidArgument("{} line {}: {}", source, e.mark.line + 1, e.msg);
  }
  TrainConfig config;
  if (root.IsNull()) return config;
  if (!root.IsMap()) return InvalidArgument("{}: expected a map of fields at the top", source);
  try {
    if (root["tune"]) {
      config.tune_section_ = YAML::Dump(root["tune"]);
      root.remove("tune");
    }
    SLUICE_RETURN_IF_ERROR(ApplyNode(config, root, "", source));
  } catch (const YAML::Exception& e) {
    return InvalidArgument("{} line {}: {}", source, e.mark.line + 1, e.msg);
  }
  return config;
}

Status TrainConfig::Set(std::string_view key, std::string_view value) {
  const ParamSpec* spec = FindSpec(key);
  if (spec == nullptr) return UnknownField(key, "");
  if (spec->kind == K::kList) {
    lists_[std::string(key)] = SplitList(value);
    return Status::Ok();
  }
  return SetScalar(*spec, value);
}

Status TrainConfig::SetScalar(const ParamSpec& spec, std::string_view value) {
  switch (spec.kind) {
    case K::kInt: {
      int64_t number = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
      if (ec != std::errc() || end != value.data() + value.size()) {
        return InvalidArgument("{}: expected an integer, got '{}'", spec.key, value);
      }
      SLUICE_RETURN_IF_ERROR(CheckNumber(spec, static_cast<double>(number), value));
      break;
    }
    case K::kDouble: {
      double number = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
      if (ec != std::errc() || end != value.data() + value.size() || !std::isfinite(number)) {
        return InvalidArgument("{}: expected a number, got '{}'", spec.key, value);
      }
      SLUICE_RETURN_IF_ERROR(CheckNumber(spec, number, value));
      break;
    }
    case K::kBool:
      if (value != "true" && value != "false") {
        return InvalidArgument("{}: expected true or false, got '{}'", spec.key, value);
      }
      break;
    case K::kChoice: {
      std::vector<std::string> choices = SplitList(spec.choices, '|');
      if (std::find(choices.begin(), choices.end(), value) == choices.end()) {
        return InvalidArgument("{}: '{}' is not one of {}", spec.key, value,
                               fmt::join(choices, ", "));
      }
      break;
    }
    case K::kString:
    case K::kList:
      break;
  }
  scalars_[std::string(spec.key)] = std::string(value);
  return Status::Ok();
}

Status TrainConfig::Validate() const {
  for (const ParamSpec& spec : kSpecs) {
    if (spec.required && String(spec.key).empty()) {
      return InvalidArgument("{} is required: {}", spec.key, spec.help);
    }
  }
  const double held_out =
      Double("split.validation") + (String("test_data").empty() ? Double("split.test") : 0.0);
  if (held_out >= 0.95) {
    return InvalidArgument(
        "split.validation + split.test = {} leaves no rows to train on; keep "
        "the sum below 0.95",
        held_out);
  }
  if (String("split.method") == "time" && String("split.time_column").empty()) {
    return InvalidArgument("split.method time needs split.time_column: the column ordering rows");
  }
  return Status::Ok();
}

int64_t TrainConfig::Int(std::string_view key) const {
  const std::string& text = String(key);
  int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

double TrainConfig::Double(std::string_view key) const {
  const std::string& text = String(key);
  double value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

bool TrainConfig::Bool(std::string_view key) const { return String(key) == "true"; }

const std::string& TrainConfig::String(std::string_view key) const {
  auto it = scalars_.find(key);
  SLUICE_CHECK(it != scalars_.end());
  return it->second;
}

const std::vector<std::string>& TrainConfig::List(std::string_view key) const {
  auto it = lists_.find(key);
  SLUICE_CHECK(it != lists_.end());
  return it->second;
}

std::map<std::string, std::string> TrainConfig::Params() const {
  std::map<std::string, std::string> params(scalars_.begin(), scalars_.end());
  for (const auto& [key, items] : lists_) params[key] = JoinList(items);
  return params;
}

std::string TrainConfig::ToYaml() const {
  YAML::Emitter out;
  EmitNested(out, Params());
  std::string text = std::string(out.c_str()) + "\n";
  if (!tune_section_.empty()) {
    YAML::Node tune = YAML::Load(tune_section_);
    YAML::Emitter tune_out;
    tune_out << YAML::BeginMap << YAML::Key << "tune" << YAML::Value << tune << YAML::EndMap;
    text += std::string(tune_out.c_str()) + "\n";
  }
  return text;
}

std::string TrainConfig::HelpText() {
  std::string out =
      "Fields of train.yaml (dotted keys are nested maps; --set key=value sets one):\n";
  for (const ParamSpec& spec : kSpecs) {
    std::string default_text = spec.required ? "required"
                               : spec.default_value.empty()
                                   ? "default: none"
                                   : fmt::format("default: {}", spec.default_value);
    std::string range = Range(spec);
    out += fmt::format("  {:<30} {} ({}{})\n      {}\n", spec.key, Kind(spec), default_text,
                       range.empty() ? "" : ", range " + range, spec.help);
  }
  return out;
}

}  // namespace sluice::training
