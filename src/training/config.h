// What a training run is asked to do (train.yaml, flags, --set key=value), with every field
// declared once in a table: its kind, default, range and help text. Parsing, validation, the
// run's params and `sluice train --help-config` all come from that one table.
//
//   SLUICE_ASSIGN_OR_RETURN(TrainConfig config, TrainConfig::FromYaml(text, "train.yaml"));
//   SLUICE_RETURN_IF_ERROR(config.Set("xgboost.max_depth", "8"));
//   int depth = config.Int("xgboost.max_depth");
//
// Thread safety: a value; const methods may be called concurrently.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace sluice::training {

enum class ParamKind { kInt, kDouble, kBool, kString, kChoice, kList };

struct ParamSpec {
  std::string_view key;  // dotted: "xgboost.max_depth" is `max_depth:` under `xgboost:`
  ParamKind kind;
  std::string_view default_value;  // as written in YAML; "" for none
  std::string_view help;
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_exclusive = false;     // (min, max] rather than [min, max]
  std::string_view choices = "";  // kChoice: "auto|binary|multiclass"
  bool required = false;
};

class TrainConfig {
 public:
  // Every field at its default.
  TrainConfig();

  static std::span<const ParamSpec> Specs();
  static const ParamSpec* FindSpec(std::string_view key);

  // Nested YAML maps name the dotted keys. kInvalidArgument for YAML syntax errors (with line),
  // an unknown field (naming the nearest known one), or a value of the wrong kind or out of
  // range. `source` names the file in messages. A `tune:` section is kept aside for `sluice tune`.
  static Result<TrainConfig> FromYaml(std::string_view yaml, std::string_view source);

  // One field from text (a flag or --set). Lists take comma-separated items. Errors as FromYaml's.
  Status Set(std::string_view key, std::string_view value);

  // Checks what no single field can: required fields, the split fractions, a time split's
  // column. Called before training.
  Status Validate() const;

  // Typed reads of a declared field; asking for an undeclared key or the wrong kind is a bug.
  int64_t Int(std::string_view key) const;
  double Double(std::string_view key) const;
  bool Bool(std::string_view key) const;
  const std::string& String(std::string_view key) const;  // kString and kChoice
  const std::vector<std::string>& List(std::string_view key) const;

  // Every field as text, as logged to the run's params (lists comma-joined).
  std::map<std::string, std::string> Params() const;
  // Every field as nested YAML: the resolved config, stored with the run and read back by
  // `sluice runs reproduce`.
  std::string ToYaml() const;
  // The `tune:` section as YAML text, "" when absent.
  const std::string& tune_section() const { return tune_section_; }

  // The table as help text: one line per field with kind, default, range and help.
  static std::string HelpText();

 private:
  Status SetScalar(const ParamSpec& spec, std::string_view value);

  std::map<std::string, std::string, std::less<>> scalars_;
  std::map<std::string, std::vector<std::string>, std::less<>> lists_;
  std::string tune_section_;
};

}  // namespace sluice::training
