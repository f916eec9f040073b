// MLflow's search grammar for runs and experiments (filter strings, order_by lists, view types,
// page tokens), parsed into clauses and compiled to one SQL query over the tracking schema with
// MLflow's semantics: a run without the key never matches, missing values sort last in both
// directions, NaN metrics sort after numbers and before missing values, the order is total.
//
//   SLUICE_ASSIGN_OR_RETURN(search.filter, ParseRunFilter("metrics.auc > 0.8 and tags.x = 'y'"));
//   SLUICE_ASSIGN_OR_RETURN(search.order_by, ParseRunOrderBy(request.order_by));
//   Sql sql = CompileRunSearch(search);  // conn.Query(sql.text, sql.params) -> run_uuid per row
//
// Thread safety: pure functions over values.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/status.h"
#include "storage/value.h"

namespace sluice::tracking {

enum class Entity { kMetric, kParam, kTag, kAttribute, kDataset };
enum class Op { kEq, kNe, kLt, kLe, kGt, kGe, kLike, kILike, kIn, kNotIn };

// "=", "!=", "<", "<=", ">", ">=", "LIKE", "ILIKE", "IN", "NOT IN".
std::string_view OpName(Op op);

// One `<entity>.<key> <op> <value>` comparison. Keys of attributes are canonical MLflow names:
// aliases are resolved ("created" -> "start_time", "run name" -> "run_name"); dataset keys are
// "name", "digest" or "context". The value is a double for metrics and numeric attributes
// (integral for attributes), a vector for IN / NOT IN, and a string otherwise.
struct Clause {
  Entity entity;
  std::string key;
  Op op;
  std::variant<double, std::string, std::vector<std::string>> value;

  friend bool operator==(const Clause&, const Clause&) = default;
};

// Parses a runs filter: clauses joined by AND (any case); no OR, no parentheses. An empty or
// all-blank filter gives no clauses. Every error is kInvalidArgument and reads
// "invalid filter '<filter>': <what is wrong>; <what is allowed>".
Result<std::vector<Clause>> ParseRunFilter(std::string_view filter);

struct OrderKey {
  Entity entity;
  std::string key;  // canonical, as in Clause
  bool ascending = true;

  friend bool operator==(const OrderKey&, const OrderKey&) = default;
};

// Parses runs order_by items `<entity>.<key> [ASC|DESC]`: metrics, params, tags and the
// attributes start_time (also "created"), end_time, run_name, run_id, status, user_id and
// artifact_uri. The same key twice (after resolving aliases) is an error, as in MLflow.
Result<std::vector<OrderKey>> ParseRunOrderBy(std::span<const std::string> order_by);

enum class ViewType { kActiveOnly, kDeletedOnly, kAll };

// "ACTIVE_ONLY", "DELETED_ONLY" or "ALL" (any case), or the proto enum numbers 1, 2, 3.
// Empty means ACTIVE_ONLY.
Result<ViewType> ParseViewType(std::string_view view_type);

// A statement with `?` placeholders and its parameters, in order.
struct Sql {
  std::string text;
  std::vector<storage::Value> params;
};

struct RunSearch {
  std::vector<int64_t> experiment_ids;  // none -> the query returns no rows
  std::vector<Clause> filter;
  std::vector<OrderKey> order_by;
  ViewType view = ViewType::kActiveOnly;
  int64_t limit = 1000;
  int64_t offset = 0;
};

// `SELECT r.run_uuid FROM runs r ... ORDER BY ... LIMIT ? OFFSET ?`: one run_uuid per row, in
// result order. Without order_by the order is start_time DESC, run_uuid ASC; with it, those two
// are appended as tie-breakers (start_time only when not already a key), so the order is total
// and consecutive pages concatenate to the unpaged result. Clauses must come from
// ParseRunFilter and keys from ParseRunOrderBy.
Sql CompileRunSearch(const RunSearch& search);

// Experiments filter: attributes name (= != LIKE ILIKE), creation_time and last_update_time
// (= != < <= > >=), and tags.<key> (= != LIKE ILIKE). Errors as ParseRunFilter.
Result<std::vector<Clause>> ParseExperimentFilter(std::string_view filter);

// Experiments order_by: attributes name, experiment_id, creation_time, last_update_time.
Result<std::vector<OrderKey>> ParseExperimentOrderBy(std::span<const std::string> order_by);

struct ExperimentSearch {
  std::vector<Clause> filter;
  std::vector<OrderKey> order_by;
  ViewType view = ViewType::kActiveOnly;
  int64_t limit = 1000;
  int64_t offset = 0;
};

// `SELECT e.experiment_id FROM experiments e ... LIMIT ? OFFSET ?`. Without order_by the order
// is creation_time DESC, experiment_id ASC; with it, experiment_id DESC is appended unless it is
// already a key (MLflow's SQL store does the same).
Sql CompileExperimentSearch(const ExperimentSearch& search);

// Opaque page tokens, as MLflow's SQL store writes them: base64 of `{"offset": N}`.
std::string EncodePageToken(int64_t offset);
// The offset in `token`; an empty token is offset 0. A token that is not base64 of a JSON
// object with a non-negative integer "offset" is kInvalidArgument "invalid page_token ...".
Result<int64_t> DecodePageToken(std::string_view token);

}  // namespace sluice::tracking
