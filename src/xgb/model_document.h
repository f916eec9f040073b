// A saved XGBoost model (JSON text or UBJ) read into a JSON document, safely: nesting and value
// counts are bounded before the full parse, and the bare words NaN, Infinity and -Infinity that
// XGBoost writes (JSON has none: a categorical split's condition is NaN, a diverged model's leaves
// may be infinite) come back as the double values they stand for. Both readers of model files use
// it: the structure check before XGBoost loads a model, and the compiled tree predictor.
//
//   SLUICE_ASSIGN_OR_RETURN(nlohmann::json model,
//                           xgb::ReadModelDocument(bytes, xgb::FormatOf(bytes)));
//
// Thread safety: stateless.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>

#include "base/status.h"

namespace sluice::xgb {

// Nesting deeper than this is refused; XGBoost's own models nest 6 deep.
inline constexpr int kMaxModelNesting = 64;

enum class ModelFormat { kJson, kUbj };

// How XGBoost tells its formats apart: JSON text starts with '{"', UBJ with '{' and a type tag.
ModelFormat FormatOf(std::span<const uint8_t> bytes);

// kInvalidArgument "XGBoost model: not valid JSON: ..." (or UBJ) for bytes that do not parse or
// exceed the bounds.
Result<nlohmann::json> ReadModelDocument(std::span<const uint8_t> bytes, ModelFormat format);

}  // namespace sluice::xgb
