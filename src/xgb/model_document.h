// A saved XGBoost model (JSON text or UBJ) read into a JSON document, safely: nesting and value
// counts are bounded before the full parse, and the bare words NaN, Infinity and -Infinity that
// XGBoost writes (JSON has none: a categorical split's condition is NaN, a diverged model's leaves
// may be infinite) come back as the double values they stand for. Both readers of model files use
// it: the structure check before XGBoost loads a model, and the compiled tree predictor.
//
//   SLUICE_ASSIGN_OR_RETURN(nlohmann::json model,
//                           xgb::ReadModelDocument(bytes, xgb::FormatOf(bytes)));
//
// Both readers walk the document through the checked accessors below, so a malformed model gives
// the same error wherever it is read: kInvalidArgument "XGBoost model: <path>: <problem>", e.g.
// "XGBoost model: learner.gradient_booster.model.trees[2].left_children[5]: 9 is outside [-1, 6]".
//
// Thread safety: stateless.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"

namespace sluice::xgb {

// Nesting deeper than this is refused; XGBoost's own models nest 6 deep.
inline constexpr int kMaxModelNesting = 64;

enum class ModelFormat { kJson, kUbj };

// How XGBoost tells its formats apart: JSON text starts with '{"', UBJ with '{' and a type tag.
ModelFormat FormatOf(std::span<const uint8_t> bytes);

// Every JSON number with a fraction or exponent holds the float its text rounds to, as XGBoost
// reads it (not the double, which can narrow to a neighbouring float). kInvalidArgument
// "XGBoost model: not valid JSON: ..." (or UBJ) for bytes that do not parse or exceed the bounds.
Result<nlohmann::json> ReadModelDocument(std::span<const uint8_t> bytes, ModelFormat format);

namespace model_json {

using nlohmann::json;

// "XGBoost model: <path>: <problem>" as kInvalidArgument.
Status Invalid(std::string_view path, std::string_view problem);
// A value quoted in an error message (a UBJ string need not be UTF-8, where dump() would throw).
std::string Show(const json& value);

// object[key] of the object at `path`; an error when it is not an object or has no such member.
Result<const json*> Member(const json& object, std::string_view path, const char* key);
// As Member, and the member must be an object.
Result<const json*> Object(const json& parent, std::string_view path, const char* key);
// As Member, and the member must be an array of `size` elements (any size when size < 0).
Result<const json*> Array(const json& parent, std::string_view path, const char* key,
                          int64_t size = -1);
// A parameter XGBoost writes as a string ("num_class": "3") holding an integer in [min, max].
Result<int64_t> IntParam(const json& parent, std::string_view path, const char* key, int64_t min,
                         int64_t max);
// array[index] (index < size), an integer in [min, max].
Result<int64_t> IntElement(const json& array, size_t index, std::string_view path, int64_t min,
                           int64_t max);

}  // namespace model_json

}  // namespace sluice::xgb
