#include "tracking/search.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/database.h"
#include "storage/sqlite_database.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"
#include "tracking/schema.h"

namespace sluice::tracking {
namespace {

using ::sluice::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

using Strings = std::vector<std::string>;

Clause C(Entity e, std::string key, Op op, std::variant<double, std::string, Strings> v) {
  return Clause{e, std::move(key), op, std::move(v)};
}

// ------------------------------------------------------------------------------------------
// Filters that parse.
// ------------------------------------------------------------------------------------------

struct GoodFilter {
  std::string filter;
  std::vector<Clause> want;
};
void PrintTo(const GoodFilter& f, std::ostream* os) { *os << f.filter; }

class ParseRunFilterGoodTest : public ::testing::TestWithParam<GoodFilter> {};

TEST_P(ParseRunFilterGoodTest, Parses) {
  ASSERT_OK_AND_ASSIGN(std::vector<Clause> got, ParseRunFilter(GetParam().filter));
  EXPECT_EQ(got, GetParam().want) << GetParam().filter;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParseRunFilterGoodTest,
    ::testing::Values(
        GoodFilter{"", {}}, GoodFilter{"   \t ", {}},
        GoodFilter{"metrics.auc > 0.8 and params.model = 'x'",
                   {C(Entity::kMetric, "auc", Op::kGt, 0.8),
                    C(Entity::kParam, "model", Op::kEq, "x")}},
        // Entity aliases.
        GoodFilter{"metric.a = 1 AND param.b = 'x' And parameter.c = 'y' aNd parameters.d = 'z'",
                   {C(Entity::kMetric, "a", Op::kEq, 1.0), C(Entity::kParam, "b", Op::kEq, "x"),
                    C(Entity::kParam, "c", Op::kEq, "y"), C(Entity::kParam, "d", Op::kEq, "z")}},
        GoodFilter{"tag.a = 'x' and tags.b != 'y'",
                   {C(Entity::kTag, "a", Op::kEq, "x"), C(Entity::kTag, "b", Op::kNe, "y")}},
        GoodFilter{"attribute.status = 'FINISHED' and attr.user_id = 'u' and run.run_id = 'r' "
                   "and attributes.artifact_uri LIKE 's3://%' and status != 'KILLED'",
                   {C(Entity::kAttribute, "status", Op::kEq, "FINISHED"),
                    C(Entity::kAttribute, "user_id", Op::kEq, "u"),
                    C(Entity::kAttribute, "run_id", Op::kEq, "r"),
                    C(Entity::kAttribute, "artifact_uri", Op::kLike, "s3://%"),
                    C(Entity::kAttribute, "status", Op::kNe, "KILLED")}},
        GoodFilter{"datasets.name = 'd' and dataset.digest IN ('a', 'b') and "
                   "datasets.context NOT IN ('eval')",
                   {C(Entity::kDataset, "name", Op::kEq, "d"),
                    C(Entity::kDataset, "digest", Op::kIn, Strings{"a", "b"}),
                    C(Entity::kDataset, "context", Op::kNotIn, Strings{"eval"})}},
        // Quoted keys and values.
        GoodFilter{"tags.`mlflow.runName` = \"x y\" and metrics.\"f1 score\" >= -1.5e-3",
                   {C(Entity::kTag, "mlflow.runName", Op::kEq, "x y"),
                    C(Entity::kMetric, "f1 score", Op::kGe, -1.5e-3)}},
        GoodFilter{"`metrics`.`a b` < .5 and tags.mlflow.user = 'it''s'",
                   {C(Entity::kMetric, "a b", Op::kLt, 0.5),
                    C(Entity::kTag, "mlflow.user", Op::kEq, "it's")}},
        GoodFilter{"params.lr-max/x = '0.1' and params.p = ''",
                   {C(Entity::kParam, "lr-max/x", Op::kEq, "0.1"),
                    C(Entity::kParam, "p", Op::kEq, "")}},
        // Comparators without spaces, in any case.
        GoodFilter{"metrics.a<=1 and metrics.b>=+2 and metrics.c!=3 and metrics.d<4 and "
                   "metrics.e>5e2 and metrics.f=6",
                   {C(Entity::kMetric, "a", Op::kLe, 1.0), C(Entity::kMetric, "b", Op::kGe, 2.0),
                    C(Entity::kMetric, "c", Op::kNe, 3.0), C(Entity::kMetric, "d", Op::kLt, 4.0),
                    C(Entity::kMetric, "e", Op::kGt, 500.0),
                    C(Entity::kMetric, "f", Op::kEq, 6.0)}},
        GoodFilter{"params.a like 'x%' and tags.b ilike '%Y' and run_id in ('a','b',) and "
                   "run_name not   in (\"c\")",
                   {C(Entity::kParam, "a", Op::kLike, "x%"), C(Entity::kTag, "b", Op::kILike, "%Y"),
                    C(Entity::kAttribute, "run_id", Op::kIn, Strings{"a", "b"}),
                    C(Entity::kAttribute, "run_name", Op::kNotIn, Strings{"c"})}},
        // Attribute aliases resolve to canonical names; numeric attributes take integers.
        GoodFilter{"attributes.created >= 1700000000000 and Created < 2 and "
                   "attributes.\"run name\" = 'n' and attributes.`Run Name` = 'm' and "
                   "attributes.run_name = 'o' and end_time != -3",
                   {C(Entity::kAttribute, "start_time", Op::kGe, 1700000000000.0),
                    C(Entity::kAttribute, "start_time", Op::kLt, 2.0),
                    C(Entity::kAttribute, "run_name", Op::kEq, "n"),
                    C(Entity::kAttribute, "run_name", Op::kEq, "m"),
                    C(Entity::kAttribute, "run_name", Op::kEq, "o"),
                    C(Entity::kAttribute, "end_time", Op::kNe, -3.0)}}));

TEST(ParseExperimentFilterTest, Parses) {
  ASSERT_OK_AND_ASSIGN(
      auto got, ParseExperimentFilter("name ILIKE '%exp%' and attribute.creation_time > 5 and "
                                      "tags.team = 'ml' and tag.`a b` LIKE 'x' and "
                                      "last_update_time <= 9"));
  EXPECT_THAT(got, ElementsAre(C(Entity::kAttribute, "name", Op::kILike, "%exp%"),
                               C(Entity::kAttribute, "creation_time", Op::kGt, 5.0),
                               C(Entity::kTag, "team", Op::kEq, "ml"),
                               C(Entity::kTag, "a b", Op::kLike, "x"),
                               C(Entity::kAttribute, "last_update_time", Op::kLe, 9.0)));
  ASSERT_OK_AND_ASSIGN(auto empty, ParseExperimentFilter(""));
  EXPECT_THAT(empty, IsEmpty());
}

// ------------------------------------------------------------------------------------------
// Filters that do not: the message is part of the contract.
// ------------------------------------------------------------------------------------------

struct BadFilter {
  std::string filter;
  std::string message;
};
void PrintTo(const BadFilter& f, std::ostream* os) { *os << f.filter; }

class ParseRunFilterBadTest : public ::testing::TestWithParam<BadFilter> {};

TEST_P(ParseRunFilterBadTest, FailsWithMessage) {
  EXPECT_THAT(ParseRunFilter(GetParam().filter),
              StatusIs(StatusCode::kInvalidArgument, GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParseRunFilterBadTest,
    ::testing::Values(
        BadFilter{"metrics.auc ~ 1",
                  "invalid filter 'metrics.auc ~ 1': unknown comparator '~' after 'metrics.auc'; "
                  "expected one of =, !=, <, <=, >, >="},
        BadFilter{"metrics.auc == 1",
                  "invalid filter 'metrics.auc == 1': unknown comparator '==' after "
                  "'metrics.auc'; expected one of =, !=, <, <=, >, >="},
        BadFilter{"params.a <> 'x'",
                  "invalid filter 'params.a <> 'x'': unknown comparator '<>' after 'params.a'; "
                  "expected one of =, !=, LIKE, ILIKE"},
        BadFilter{"params.a NOT LIKE 'x'",
                  "invalid filter 'params.a NOT LIKE 'x'': unknown comparator 'NOT' after "
                  "'params.a'; expected one of =, !=, LIKE, ILIKE"},
        BadFilter{"metrics.auc LIKE '1'",
                  "invalid filter 'metrics.auc LIKE '1'': comparator 'LIKE' does not apply to "
                  "metrics ('metrics.auc'); expected one of =, !=, <, <=, >, >="},
        BadFilter{"params.a > 'x'",
                  "invalid filter 'params.a > 'x'': comparator '>' does not apply to params "
                  "('params.a'); expected one of =, !=, LIKE, ILIKE"},
        BadFilter{"tags.a IN ('x')",
                  "invalid filter 'tags.a IN ('x')': comparator 'IN' does not apply to tags "
                  "('tags.a'); expected one of =, !=, LIKE, ILIKE"},
        BadFilter{"attributes.start_time LIKE '1%'",
                  "invalid filter 'attributes.start_time LIKE '1%'': comparator 'LIKE' does not "
                  "apply to numeric attributes ('attributes.start_time'); expected one of =, !=, "
                  "<, <=, >, >="},
        BadFilter{"attributes.status < 'A'",
                  "invalid filter 'attributes.status < 'A'': comparator '<' does not apply to "
                  "string attributes ('attributes.status'); expected one of =, !=, LIKE, ILIKE, "
                  "IN, NOT IN"},
        BadFilter{"datasets.name > 'a'",
                  "invalid filter 'datasets.name > 'a'': comparator '>' does not apply to "
                  "dataset fields ('datasets.name'); expected one of =, !=, LIKE, ILIKE, IN, "
                  "NOT IN"},
        BadFilter{"metrics.auc",
                  "invalid filter 'metrics.auc': expected a comparator after 'metrics.auc', got "
                  "the end of the filter; expected one of =, !=, <, <=, >, >="},
        // Values of the wrong type.
        BadFilter{"metrics.auc > '0.8'",
                  "invalid filter 'metrics.auc > '0.8'': expected a number after 'metrics.auc >', "
                  "got ''0.8''"},
        BadFilter{"metrics.auc > abc",
                  "invalid filter 'metrics.auc > abc': expected a number after 'metrics.auc >', "
                  "got 'abc'"},
        BadFilter{"metrics.auc > 1abc",
                  "invalid filter 'metrics.auc > 1abc': expected a number after 'metrics.auc >', "
                  "got '1abc'"},
        BadFilter{"metrics.auc > nan",
                  "invalid filter 'metrics.auc > nan': expected a number after 'metrics.auc >', "
                  "got 'nan'"},
        BadFilter{"metrics.auc > 1e",
                  "invalid filter 'metrics.auc > 1e': expected a number after 'metrics.auc >', "
                  "got '1e'"},
        BadFilter{"metrics.auc >",
                  "invalid filter 'metrics.auc >': expected a number after 'metrics.auc >', got "
                  "the end of the filter"},
        BadFilter{"metrics.auc > 1e999",
                  "invalid filter 'metrics.auc > 1e999': number '1e999' after 'metrics.auc >' is "
                  "out of range"},
        BadFilter{"attributes.start_time > 1.5",
                  "invalid filter 'attributes.start_time > 1.5': expected an integer "
                  "(milliseconds since the epoch) after 'attributes.start_time >', got '1.5'"},
        BadFilter{"params.model = cnn",
                  "invalid filter 'params.model = cnn': expected a quoted string like 'value' "
                  "after 'params.model =', got 'cnn'"},
        BadFilter{"params.lr = 0.1",
                  "invalid filter 'params.lr = 0.1': expected a quoted string like 'value' after "
                  "'params.lr =', got '0.1'"},
        BadFilter{"tags.a = 'x",
                  "invalid filter 'tags.a = 'x': unterminated string starting at 'x"},
        BadFilter{"tags.`a = 'x'",
                  "invalid filter 'tags.`a = 'x'': unterminated quoted key starting at `a = 'x'"},
        BadFilter{"run_id IN 'a'",
                  "invalid filter 'run_id IN 'a'': expected a list of quoted strings like ('a', "
                  "'b') after 'run_id IN', got ''a''"},
        BadFilter{"run_id IN ()",
                  "invalid filter 'run_id IN ()': the list after 'run_id IN' is empty; expected "
                  "at least one quoted string"},
        BadFilter{"run_id IN ('a' 'b')",
                  "invalid filter 'run_id IN ('a' 'b')': expected ',' or ')' in the list after "
                  "'run_id IN', got ''b''"},
        BadFilter{"run_id IN ('a', 1)",
                  "invalid filter 'run_id IN ('a', 1)': expected a quoted string in the list "
                  "after 'run_id IN', got '1'"},
        // Keys.
        BadFilter{"foo.bar = 'x'",
                  "invalid filter 'foo.bar = 'x'': unknown entity 'foo' in 'foo.bar'; expected "
                  "metrics, params, tags, attributes or datasets"},
        BadFilter{"Metrics.auc > 1",
                  "invalid filter 'Metrics.auc > 1': unknown entity 'Metrics' in 'Metrics.auc'; "
                  "expected metrics, params, tags, attributes or datasets"},
        BadFilter{"attributes.lifecycle_stage = 'active'",
                  "invalid filter 'attributes.lifecycle_stage = 'active'': unknown attribute "
                  "'lifecycle_stage'; expected one of run_id, run_name, status, user_id, "
                  "artifact_uri, start_time, end_time, created"},
        BadFilter{"auc > 1",
                  "invalid filter 'auc > 1': unknown attribute 'auc'; expected one of run_id, "
                  "run_name, status, user_id, artifact_uri, start_time, end_time, created"},
        BadFilter{"datasets.source = 'x'",
                  "invalid filter 'datasets.source = 'x'': unknown dataset field 'source'; "
                  "expected one of name, digest, context"},
        BadFilter{"metrics. > 1", "invalid filter 'metrics. > 1': missing key after 'metrics.'"},
        BadFilter{"= 1",
                  "invalid filter '= 1': expected a key like metrics.auc or tags.`my tag`, got "
                  "'='"},
        BadFilter{"metrics.f1 score > 1",
                  "invalid filter 'metrics.f1 score > 1': unknown comparator 'score' after "
                  "'metrics.f1'; expected one of =, !=, <, <=, >, >="},
        // Structure: AND only, no OR, no parentheses.
        BadFilter{"metrics.a > 1 or metrics.b > 1",
                  "invalid filter 'metrics.a > 1 or metrics.b > 1': OR is not supported; join "
                  "clauses with AND"},
        BadFilter{"(metrics.a > 1)",
                  "invalid filter '(metrics.a > 1)': parentheses are not supported; join clauses "
                  "with AND"},
        BadFilter{"metrics.a > 1 and (metrics.b > 1)",
                  "invalid filter 'metrics.a > 1 and (metrics.b > 1)': parentheses are not "
                  "supported; join clauses with AND"},
        BadFilter{"not metrics.a > 1",
                  "invalid filter 'not metrics.a > 1': NOT is not supported; join clauses with "
                  "AND"},
        BadFilter{"metrics.a > 1 and",
                  "invalid filter 'metrics.a > 1 and': expected a clause like metrics.auc > 0.8 "
                  "after AND, got the end of the filter"},
        BadFilter{"metrics.a > 1 metrics.b > 1",
                  "invalid filter 'metrics.a > 1 metrics.b > 1': expected AND or the end of the "
                  "filter after 'metrics.a > 1', got 'metrics.b'"},
        BadFilter{"params.a = 'x' 'y'",
                  "invalid filter 'params.a = 'x' 'y'': expected AND or the end of the filter "
                  "after 'params.a = 'x'', got ''y''"},
        BadFilter{"metrics.a > 1;",
                  "invalid filter 'metrics.a > 1;': expected AND or the end of the filter after "
                  "'metrics.a > 1', got ';'"}));

TEST(ParseExperimentFilterTest, Errors) {
  EXPECT_THAT(ParseExperimentFilter("metrics.a > 1"),
              StatusIs(StatusCode::kInvalidArgument,
                       "invalid filter 'metrics.a > 1': unknown entity 'metrics' in 'metrics.a'; "
                       "expected attributes or tags"));
  EXPECT_THAT(ParseExperimentFilter("experiment_id = '1'"),
              StatusIs(StatusCode::kInvalidArgument,
                       "invalid filter 'experiment_id = '1'': unknown attribute 'experiment_id'; "
                       "expected one of name, creation_time, last_update_time"));
  EXPECT_THAT(ParseExperimentFilter("name IN ('a')"),
              StatusIs(StatusCode::kInvalidArgument,
                       "invalid filter 'name IN ('a')': comparator 'IN' does not apply to string "
                       "attributes ('name'); expected one of =, !=, LIKE, ILIKE"));
  EXPECT_THAT(ParseExperimentFilter("creation_time > 'x'"),
              StatusIs(StatusCode::kInvalidArgument,
                       "invalid filter 'creation_time > 'x'': expected an integer (milliseconds "
                       "since the epoch) after 'creation_time >', got ''x''"));
}

// ------------------------------------------------------------------------------------------
// order_by
// ------------------------------------------------------------------------------------------

TEST(ParseRunOrderByTest, Parses) {
  Strings items = {"metrics.auc DESC",       "params.`model name` asc", "tags.\"a.b\"",
                   "attributes.created Desc", "run_name",               "attr.end_time ASC",
                   "  metric.loss  "};
  ASSERT_OK_AND_ASSIGN(auto got, ParseRunOrderBy(items));
  EXPECT_THAT(got, ElementsAre(OrderKey{Entity::kMetric, "auc", false},
                               OrderKey{Entity::kParam, "model name", true},
                               OrderKey{Entity::kTag, "a.b", true},
                               OrderKey{Entity::kAttribute, "start_time", false},
                               OrderKey{Entity::kAttribute, "run_name", true},
                               OrderKey{Entity::kAttribute, "end_time", true},
                               OrderKey{Entity::kMetric, "loss", true}));
  ASSERT_OK_AND_ASSIGN(auto none, ParseRunOrderBy({}));
  EXPECT_THAT(none, IsEmpty());
}

TEST(ParseRunOrderByTest, Errors) {
  auto err = [](Strings items) { return ParseRunOrderBy(items); };
  EXPECT_THAT(err({"metrics.auc", "metric.auc DESC"}),
              StatusIs(StatusCode::kInvalidArgument,
                       "invalid order_by: metrics.auc appears more than once"));
  EXPECT_THAT(err({"start_time", "attributes.created DESC"}),
              StatusIs(StatusCode::kInvalidArgument,
                       "invalid order_by: attributes.start_time appears more than once"));
  EXPECT_THAT(err({"metrics.auc DOWN"}),
              StatusIs(StatusCode::kInvalidArgument,
                       "invalid order_by 'metrics.auc DOWN': expected ASC or DESC after "
                       "'metrics.auc', got 'DOWN'"));
  EXPECT_THAT(err({"metrics.f1 score DESC"}),
              StatusIs(StatusCode::kInvalidArgument,
                       "invalid order_by 'metrics.f1 score DESC': expected ASC or DESC after "
                       "'metrics.f1', got 'score'"));
  EXPECT_THAT(err({"metrics.auc DESC x"}),
              StatusIs(StatusCode::kInvalidArgument,
                       "invalid order_by 'metrics.auc DESC x': unexpected 'x' after "
                       "'metrics.auc DESC'"));
  EXPECT_THAT(err({"datasets.name"}),
              StatusIs(StatusCode::kInvalidArgument,
                       "invalid order_by 'datasets.name': cannot order by datasets; expected "
                       "metrics, params, tags or attributes"));
  EXPECT_THAT(err({"attributes.lifecycle_stage"}),
              StatusIs(StatusCode::kInvalidArgument,
                       "invalid order_by 'attributes.lifecycle_stage': unknown attribute "
                       "'lifecycle_stage'; expected one of run_id, run_name, status, user_id, "
                       "artifact_uri, start_time, end_time, created"));
  EXPECT_THAT(err({""}), StatusIs(StatusCode::kInvalidArgument,
                                  "invalid order_by '': expected a key like metrics.auc, "
                                  "optionally followed by ASC or DESC"));
}

TEST(ParseExperimentOrderByTest, ParsesAndErrors) {
  Strings items = {"name", "experiment_id DESC", "attribute.creation_time asc",
                   "last_update_time"};
  ASSERT_OK_AND_ASSIGN(auto got, ParseExperimentOrderBy(items));
  EXPECT_THAT(got, ElementsAre(OrderKey{Entity::kAttribute, "name", true},
                               OrderKey{Entity::kAttribute, "experiment_id", false},
                               OrderKey{Entity::kAttribute, "creation_time", true},
                               OrderKey{Entity::kAttribute, "last_update_time", true}));
  Strings tags = {"tags.x"};
  EXPECT_THAT(ParseExperimentOrderBy(tags),
              StatusIs(StatusCode::kInvalidArgument,
                       "invalid order_by 'tags.x': cannot order by tags; expected attributes"));
  Strings bad = {"artifact_location"};
  EXPECT_THAT(ParseExperimentOrderBy(bad),
              StatusIs(StatusCode::kInvalidArgument,
                       "invalid order_by 'artifact_location': unknown attribute "
                       "'artifact_location'; expected one of name, experiment_id, "
                       "creation_time, last_update_time"));
}

// ------------------------------------------------------------------------------------------
// View types and page tokens
// ------------------------------------------------------------------------------------------

TEST(ParseViewTypeTest, NamesNumbersAndErrors) {
  EXPECT_EQ(ParseViewType("").value(), ViewType::kActiveOnly);
  EXPECT_EQ(ParseViewType("ACTIVE_ONLY").value(), ViewType::kActiveOnly);
  EXPECT_EQ(ParseViewType("active_only").value(), ViewType::kActiveOnly);
  EXPECT_EQ(ParseViewType("DELETED_ONLY").value(), ViewType::kDeletedOnly);
  EXPECT_EQ(ParseViewType("ALL").value(), ViewType::kAll);
  EXPECT_EQ(ParseViewType("1").value(), ViewType::kActiveOnly);
  EXPECT_EQ(ParseViewType("2").value(), ViewType::kDeletedOnly);
  EXPECT_EQ(ParseViewType("3").value(), ViewType::kAll);
  EXPECT_THAT(ParseViewType("4"),
              StatusIs(StatusCode::kInvalidArgument,
                       "invalid view type '4'; expected ACTIVE_ONLY, DELETED_ONLY or ALL"));
}

TEST(PageTokenTest, MatchesMlflowBytes) {
  // base64.b64encode(json.dumps({"offset": 1}).encode()) in MLflow's SQL store.
  EXPECT_EQ(EncodePageToken(1), "eyJvZmZzZXQiOiAxfQ==");
  EXPECT_EQ(DecodePageToken("eyJvZmZzZXQiOiAxfQ==").value(), 1);
  EXPECT_EQ(DecodePageToken("eyJvZmZzZXQiOiAxfQ").value(), 1);  // padding lost in a URL
  EXPECT_EQ(DecodePageToken("").value(), 0);
}

TEST(PageTokenTest, RoundTrips) {
  for (int64_t offset : {int64_t{0}, int64_t{7}, int64_t{99}, int64_t{1000}, int64_t{123456789},
                         int64_t{9223372036854775807}}) {
    EXPECT_EQ(DecodePageToken(EncodePageToken(offset)).value(), offset) << offset;
  }
}

TEST(PageTokenTest, AcceptsStringOffsets) {
  // {"offset": "5"}: MLflow's int() accepts it.
  EXPECT_EQ(DecodePageToken("eyJvZmZzZXQiOiAiNSJ9").value(), 5);
}

TEST(PageTokenTest, RejectsBadTokens) {
  EXPECT_THAT(DecodePageToken("not a token!"),
              StatusIs(StatusCode::kInvalidArgument,
                       "invalid page_token 'not a token!': not base64"));
  // base64 of "hello"
  EXPECT_THAT(DecodePageToken("aGVsbG8="),
              StatusIs(StatusCode::kInvalidArgument,
                       "invalid page_token 'aGVsbG8=': expected a token from a previous search "
                       "(base64 of {\"offset\": N} with N >= 0)"));
  // base64 of {"offset": -1}
  EXPECT_THAT(DecodePageToken("eyJvZmZzZXQiOiAtMX0="), StatusIs(StatusCode::kInvalidArgument));
  // base64 of {"offset": 1.5}
  EXPECT_THAT(DecodePageToken("eyJvZmZzZXQiOiAxLjV9"), StatusIs(StatusCode::kInvalidArgument));
}

// ------------------------------------------------------------------------------------------
// Compiled queries against a real SQLite database.
// ------------------------------------------------------------------------------------------

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct RunSpec {
  RunSpec(std::string run_id, std::optional<int64_t> start) : id(std::move(run_id)),
                                                               start_time(start) {}
  RunSpec& Experiment(int64_t v) { experiment_id = v; return *this; }
  RunSpec& Stage(std::string v) { lifecycle_stage = std::move(v); return *this; }
  RunSpec& Name(std::string v) { name = std::move(v); return *this; }
  RunSpec& Status(std::string v) { status = std::move(v); return *this; }
  RunSpec& User(std::string v) { user_id = std::move(v); return *this; }
  RunSpec& End(int64_t v) { end_time = v; return *this; }

  std::string id;
  std::optional<int64_t> start_time;
  int64_t experiment_id = 1;
  std::string lifecycle_stage = "active";
  std::string name = "run";
  std::string status = "FINISHED";
  std::string user_id = "alice";
  std::optional<int64_t> end_time;
};

class SearchDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(db_, storage::OpenSqliteDatabase(dir_ / "sluice.db"));
    ASSERT_OK(db_->Migrate(kSchemaModule, Migrations()));
    Exec("INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, "
         "creation_time, last_update_time) VALUES (1, 'one', 'a', 'active', 0, 0), "
         "(2, 'two', 'a', 'active', 0, 0)");
  }

  void Exec(const std::string& sql, const std::vector<storage::Value>& params = {}) {
    ASSERT_OK(db_->Write([&](storage::Connection& c) { return c.Execute(sql, params); }));
  }

  void AddRun(const RunSpec& r) {
    Exec("INSERT INTO runs (run_uuid, experiment_id, name, user_id, status, start_time, end_time, "
         "artifact_uri, lifecycle_stage) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
         {r.id, r.experiment_id, r.name, r.user_id, r.status, r.start_time, r.end_time,
          "s3://bucket/" + r.id, r.lifecycle_stage});
  }
  void AddRuns(std::initializer_list<std::string> ids, int64_t start_time = 100) {
    for (const std::string& id : ids) AddRun(RunSpec(id, start_time));
  }
  void Metric(const std::string& run, const std::string& key, double value) {
    storage::Value v = std::isnan(value) ? storage::Value() : storage::Value(value);
    Exec("INSERT INTO latest_metrics (run_uuid, key, value, is_nan, timestamp, step) "
         "VALUES (?, ?, ?, ?, 0, 0)",
         {run, key, v, std::isnan(value) ? 1 : 0});
  }
  void Param(const std::string& run, const std::string& key, const std::string& value) {
    Exec("INSERT INTO params (run_uuid, key, value) VALUES (?, ?, ?)", {run, key, value});
  }
  void Tag(const std::string& run, const std::string& key, const std::string& value) {
    Exec("INSERT INTO tags (run_uuid, key, value) VALUES (?, ?, ?)", {run, key, value});
  }
  void Dataset(const std::string& run, const std::string& name, const std::string& digest,
               const std::optional<std::string>& context) {
    std::string uuid = name + "@" + digest;
    Exec("INSERT OR IGNORE INTO datasets (dataset_uuid, experiment_id, name, digest, "
         "source_type, source) VALUES (?, 1, ?, ?, 'local', 'file:///x')",
         {uuid, name, digest});
    Exec("INSERT INTO run_inputs (run_uuid, dataset_uuid) VALUES (?, ?)", {run, uuid});
    if (context) {
      Exec("INSERT INTO run_input_tags (run_uuid, dataset_uuid, key, value) "
           "VALUES (?, ?, 'mlflow.data.context', ?)",
           {run, uuid, *context});
    }
  }

  std::vector<std::string> Ids(const Sql& sql) {
    std::vector<std::string> ids;
    Status s = db_->Read([&](storage::Connection& c) -> Status {
      SLUICE_ASSIGN_OR_RETURN(std::vector<storage::Row> rows, c.Query(sql.text, sql.params));
      for (const storage::Row& row : rows) {
        ids.push_back(row[0].is_text() ? row[0].AsText() : std::to_string(row[0].AsInt()));
      }
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.ToString() << "\n" << sql.text;
    return ids;
  }

  // Runs a search over experiment 1 (and 2 when asked); parse errors fail the test.
  std::vector<std::string> Search(std::string_view filter, Strings order_by = {},
                                  ViewType view = ViewType::kActiveOnly, int64_t limit = 1000,
                                  int64_t offset = 0, std::vector<int64_t> experiments = {1}) {
    RunSearch search;
    search.experiment_ids = std::move(experiments);
    auto clauses = ParseRunFilter(filter);
    EXPECT_TRUE(clauses.ok()) << clauses.status().ToString();
    auto keys = ParseRunOrderBy(order_by);
    EXPECT_TRUE(keys.ok()) << keys.status().ToString();
    if (!clauses.ok() || !keys.ok()) return {};
    search.filter = *clauses;
    search.order_by = *keys;
    search.view = view;
    search.limit = limit;
    search.offset = offset;
    return Ids(CompileRunSearch(search));
  }

  sluice::testing::TempDir dir_;
  std::unique_ptr<storage::Database> db_;
};

TEST_F(SearchDbTest, DefaultOrderIsStartTimeDescThenRunIdWithMissingStartLast) {
  AddRun(RunSpec("b", 100));
  AddRun(RunSpec("a", 100));
  AddRun(RunSpec("c", 300));
  AddRun(RunSpec("d", std::nullopt));
  AddRun(RunSpec("e", 200));
  EXPECT_THAT(Search(""), ElementsAre("c", "e", "a", "b", "d"));
}

TEST_F(SearchDbTest, MetricOrderPutsNanAfterNumbersAndMissingLastBothWays) {
  AddRuns({"a", "b", "c", "d", "e"});
  Metric("a", "m", 1);
  Metric("b", "m", 3);
  Metric("c", "m", kNaN);
  Metric("e", "m", 2);  // d has no m
  EXPECT_THAT(Search("", {"metrics.m"}), ElementsAre("a", "e", "b", "c", "d"));
  EXPECT_THAT(Search("", {"metrics.m DESC"}), ElementsAre("b", "e", "a", "c", "d"));
  // The same with a filter on the order key that keeps NaN (only != does).
  EXPECT_THAT(Search("metrics.m != 2", {"metrics.m"}), ElementsAre("a", "b", "c"));
  EXPECT_THAT(Search("metrics.m != 2", {"metrics.m DESC"}), ElementsAre("b", "a", "c"));
  EXPECT_THAT(Search("metrics.m >= 1", {"metrics.m DESC"}), ElementsAre("b", "e", "a"));
}

TEST_F(SearchDbTest, ParamTagAndAttributeOrdersPutMissingLast) {
  AddRun(RunSpec("a", 1).Name("zeta").End(5));
  AddRun(RunSpec("b", 2).Name("alpha"));
  AddRun(RunSpec("c", 3).Name("Mid").End(4));
  Param("a", "p", "y");
  Param("c", "p", "x");
  Tag("b", "t", "2");
  Tag("c", "t", "10");
  EXPECT_THAT(Search("", {"params.p"}), ElementsAre("c", "a", "b"));
  EXPECT_THAT(Search("", {"params.p DESC"}), ElementsAre("a", "c", "b"));
  EXPECT_THAT(Search("", {"tags.t"}), ElementsAre("c", "b", "a"));  // strings: "10" < "2"
  EXPECT_THAT(Search("", {"tags.t DESC"}), ElementsAre("b", "c", "a"));
  EXPECT_THAT(Search("", {"attributes.end_time"}), ElementsAre("c", "a", "b"));
  EXPECT_THAT(Search("", {"attributes.end_time DESC"}), ElementsAre("a", "c", "b"));
  // Binary collation: upper case sorts before lower case, as Python's str ordering.
  EXPECT_THAT(Search("", {"attributes.run_name"}), ElementsAre("c", "b", "a"));
  EXPECT_THAT(Search("", {"created"}), ElementsAre("a", "b", "c"));
  EXPECT_THAT(Search("", {"attributes.run_id DESC"}), ElementsAre("c", "b", "a"));
}

TEST_F(SearchDbTest, TiesBreakOnStartTimeDescThenRunId) {
  AddRun(RunSpec("a", 1));
  AddRun(RunSpec("c", 2));
  AddRun(RunSpec("b", 2));
  AddRun(RunSpec("d", 3));
  for (const char* id : {"a", "b", "c", "d"}) Param(id, "p", "same");
  EXPECT_THAT(Search("", {"params.p"}), ElementsAre("d", "b", "c", "a"));
  EXPECT_THAT(Search("", {"params.p", "attributes.start_time ASC"}),
              ElementsAre("a", "b", "c", "d"));
  EXPECT_THAT(Search("", {"params.p", "attributes.run_id DESC"}),
              ElementsAre("d", "c", "b", "a"));
}

TEST_F(SearchDbTest, MissingKeysNeverMatchNotEvenNotEqual) {
  AddRuns({"a", "b", "c"});
  Param("a", "p", "x");
  Param("b", "p", "y");
  Tag("a", "t", "x");
  Metric("a", "m", 1);
  Metric("b", "m", 2);
  EXPECT_THAT(Search("params.p != 'x'"), ElementsAre("b"));
  EXPECT_THAT(Search("tags.t != 'y'"), ElementsAre("a"));
  EXPECT_THAT(Search("metrics.m != 1"), ElementsAre("b"));
  EXPECT_THAT(Search("params.p != 'x' and metrics.m != 1"), ElementsAre("b"));
  EXPECT_THAT(Search("attributes.end_time != 5"), IsEmpty());  // no run has ended
}

TEST_F(SearchDbTest, NanMatchesOnlyNotEqual) {
  AddRuns({"a", "b"});
  Metric("a", "m", kNaN);
  Metric("b", "m", 0.5);
  EXPECT_THAT(Search("metrics.m != 0.5"), ElementsAre("a"));
  EXPECT_THAT(Search("metrics.m != 1", {"run_id"}), ElementsAre("a", "b"));
  for (const char* f : {"metrics.m = 0.5", "metrics.m >= 0", "metrics.m <= 1", "metrics.m > 0",
                        "metrics.m < 1"}) {
    EXPECT_THAT(Search(f), ElementsAre("b")) << f;
  }
}

TEST_F(SearchDbTest, LikeIsCaseSensitiveAndIlikeIsNot) {
  AddRun(RunSpec("a", 2).Name("Alpha"));
  AddRun(RunSpec("b", 1).Name("alphabet"));
  Param("a", "p", "ResNet_50");
  Param("b", "p", "resnet-50");
  Tag("a", "t", "Hello");
  EXPECT_THAT(Search("params.p LIKE 'Res%'"), ElementsAre("a"));
  EXPECT_THAT(Search("params.p ILIKE 'res%'"), ElementsAre("a", "b"));
  EXPECT_THAT(Search("params.p LIKE '%Net_50'"), ElementsAre("a"));
  EXPECT_THAT(Search("params.p ILIKE '%net_50'"), ElementsAre("a", "b"));  // _ is any character
  EXPECT_THAT(Search("params.p = 'resnet-50'"), ElementsAre("b"));
  EXPECT_THAT(Search("params.p = 'RESNET-50'"), IsEmpty());
  EXPECT_THAT(Search("tags.t LIKE 'hello'"), IsEmpty());
  EXPECT_THAT(Search("tags.t ILIKE 'hello'"), ElementsAre("a"));
  EXPECT_THAT(Search("attributes.run_name LIKE 'alpha%'"), ElementsAre("b"));
  EXPECT_THAT(Search("attributes.run_name ILIKE 'ALPHA%'"), ElementsAre("a", "b"));
  EXPECT_THAT(Search("attributes.`run name` = 'Alpha'"), ElementsAre("a"));
}

TEST_F(SearchDbTest, AttributeComparisons) {
  AddRun(RunSpec("a", 10).Status("RUNNING").User("u1"));
  AddRun(RunSpec("b", 20).Status("FINISHED").User("u2").End(25));
  AddRun(RunSpec("c", 30).Status("FAILED").User("u1").End(35));
  EXPECT_THAT(Search("attributes.run_id IN ('a', 'c', 'zz')"), ElementsAre("c", "a"));
  EXPECT_THAT(Search("attributes.run_id NOT IN ('a')"), ElementsAre("c", "b"));
  EXPECT_THAT(Search("attributes.status IN ('FINISHED', 'FAILED')"), ElementsAre("c", "b"));
  EXPECT_THAT(Search("status != 'RUNNING' and user_id = 'u1'"), ElementsAre("c"));
  EXPECT_THAT(Search("attributes.start_time >= 20"), ElementsAre("c", "b"));
  EXPECT_THAT(Search("attributes.created < 20"), ElementsAre("a"));
  EXPECT_THAT(Search("attributes.end_time <= 30"), ElementsAre("b"));
  EXPECT_THAT(Search("attributes.artifact_uri LIKE 's3://bucket/b'"), ElementsAre("b"));
}

TEST_F(SearchDbTest, DatasetFilters) {
  AddRun(RunSpec("a", 3));
  AddRun(RunSpec("b", 2));
  AddRun(RunSpec("c", 1));  // no inputs: never matches
  Dataset("a", "train", "d1", "training");
  Dataset("a", "eval", "d2", "evaluation");
  Dataset("b", "Train", "d3", std::nullopt);
  EXPECT_THAT(Search("datasets.name = 'train'"), ElementsAre("a"));
  EXPECT_THAT(Search("datasets.name ILIKE 'train'"), ElementsAre("a", "b"));
  EXPECT_THAT(Search("datasets.name LIKE 'T%'"), ElementsAre("b"));
  // Any input may match: a has 'eval' besides 'train'.
  EXPECT_THAT(Search("datasets.name != 'train'"), ElementsAre("a", "b"));
  EXPECT_THAT(Search("datasets.name NOT IN ('train', 'eval')"), ElementsAre("b"));
  EXPECT_THAT(Search("datasets.digest IN ('d2', 'd3')"), ElementsAre("a", "b"));
  EXPECT_THAT(Search("datasets.context = 'training'"), ElementsAre("a"));
  EXPECT_THAT(Search("datasets.context != 'training'"), ElementsAre("a"));
  EXPECT_THAT(Search("datasets.context IN ('x')"), IsEmpty());
  EXPECT_THAT(Search("datasets.name = 'train' and datasets.context = 'evaluation'"),
              ElementsAre("a"));
}

TEST_F(SearchDbTest, ViewTypesAndExperiments) {
  AddRun(RunSpec("a", 3));
  AddRun(RunSpec("b", 2).Stage("deleted"));
  AddRun(RunSpec("c", 1).Experiment(2));
  EXPECT_THAT(Search(""), ElementsAre("a"));
  EXPECT_THAT(Search("", {}, ViewType::kDeletedOnly), ElementsAre("b"));
  EXPECT_THAT(Search("", {}, ViewType::kAll), ElementsAre("a", "b"));
  EXPECT_THAT(Search("", {}, ViewType::kAll, 1000, 0, {1, 2}), ElementsAre("a", "b", "c"));
  EXPECT_THAT(Search("", {}, ViewType::kAll, 1000, 0, {2}), ElementsAre("c"));
  EXPECT_THAT(Search("", {}, ViewType::kAll, 1000, 0, {}), IsEmpty());
  EXPECT_THAT(Search("", {}, ViewType::kAll, 1, 1), ElementsAre("b"));
}

TEST_F(SearchDbTest, RepeatedKeysInFilterAndOrder) {
  AddRuns({"a", "b", "c", "d"});
  Metric("a", "m", 1);
  Metric("b", "m", 2);
  Metric("c", "m", 3);
  Metric("d", "m", 4);
  Metric("a", "n", 9);
  Metric("c", "n", 8);
  EXPECT_THAT(Search("metrics.m > 1 and metrics.m < 4", {"metrics.m DESC"}),
              ElementsAre("c", "b"));
  EXPECT_THAT(Search("metrics.m >= 1", {"metrics.n", "metrics.m DESC"}),
              ElementsAre("c", "a", "d", "b"));
}

// A reference model of MLflow's in-memory semantics (SearchUtils.filter and .sort), against
// which random searches are checked, unpaged and paged.
struct ModelRun {
  std::string id;
  std::optional<int64_t> start_time;
  std::map<std::string, double> metrics;
  std::map<std::string, std::string> params;
};

bool ModelMatches(const ModelRun& run, const Clause& c) {
  if (c.entity == Entity::kMetric) {
    auto it = run.metrics.find(c.key);
    if (it == run.metrics.end()) return false;
    double lhs = it->second;
    double rhs = std::get<double>(c.value);
    switch (c.op) {
      case Op::kEq: return lhs == rhs;
      case Op::kNe: return lhs != rhs;
      case Op::kLt: return lhs < rhs;
      case Op::kLe: return lhs <= rhs;
      case Op::kGt: return lhs > rhs;
      case Op::kGe: return lhs >= rhs;
      default: break;
    }
  }
  auto it = run.params.find(c.key);
  if (it == run.params.end()) return false;
  const std::string& rhs = std::get<std::string>(c.value);
  return c.op == Op::kEq ? it->second == rhs : it->second != rhs;
}

// -1, 0, 1 for one order key, with missing last and NaN just before missing in both directions.
int ModelCompare(const ModelRun& a, const ModelRun& b, const OrderKey& k) {
  auto rank = [&](const ModelRun& r, double& v, std::string& s) {
    if (k.entity == Entity::kMetric) {
      auto it = r.metrics.find(k.key);
      if (it == r.metrics.end()) return 2;
      v = it->second;
      return std::isnan(v) ? 1 : 0;
    }
    if (k.entity == Entity::kParam) {
      auto it = r.params.find(k.key);
      if (it == r.params.end()) return 2;
      s = it->second;
      return 0;
    }
    if (k.key == "run_id") {
      s = r.id;
      return 0;
    }
    if (!r.start_time) return 2;
    v = static_cast<double>(*r.start_time);
    return 0;
  };
  double va = 0, vb = 0;
  std::string sa, sb;
  int ra = rank(a, va, sa), rb = rank(b, vb, sb);
  if (ra != rb) return ra < rb ? -1 : 1;
  if (ra != 0) return 0;
  int cmp = va < vb ? -1 : va > vb ? 1 : sa < sb ? -1 : sa > sb ? 1 : 0;
  return k.ascending ? cmp : -cmp;
}

std::vector<std::string> ModelSearch(const std::vector<ModelRun>& runs,
                                     const std::vector<Clause>& filter,
                                     std::vector<OrderKey> order) {
  std::vector<ModelRun> hits;
  for (const ModelRun& r : runs) {
    if (std::all_of(filter.begin(), filter.end(),
                    [&](const Clause& c) { return ModelMatches(r, c); })) {
      hits.push_back(r);
    }
  }
  order.push_back({Entity::kAttribute, "start_time", false});
  order.push_back({Entity::kAttribute, "run_id", true});
  std::stable_sort(hits.begin(), hits.end(), [&](const ModelRun& a, const ModelRun& b) {
    for (const OrderKey& k : order) {
      int c = ModelCompare(a, b, k);
      if (c != 0) return c < 0;
    }
    return false;
  });
  std::vector<std::string> ids;
  for (const ModelRun& r : hits) ids.push_back(r.id);
  return ids;
}

TEST_F(SearchDbTest, RandomSearchesMatchTheModelAndPagesConcatenate) {
  std::mt19937 rng(20240611);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const double kValues[] = {0.1, 0.2, 0.3, 0.5, 0.5, 0.7, 0.9, kNaN};
  std::vector<ModelRun> runs;
  ASSERT_OK(db_->Write([&](storage::Connection& c) -> Status {
    for (int i = 0; i < 300; ++i) {
      ModelRun run;
      run.id = fmt::format("{:08x}", static_cast<uint32_t>(rng()));
      if (pick(10) > 0) run.start_time = 1000 + pick(40);  // many ties, a few missing
      SLUICE_RETURN_IF_ERROR(c.Execute(
          "INSERT INTO runs (run_uuid, experiment_id, name, status, start_time, artifact_uri) "
          "VALUES (?, 1, 'r', 'FINISHED', ?, 'x')",
          {run.id, run.start_time}));
      for (const char* key : {"m0", "m1"}) {
        if (pick(4) == 0) continue;  // missing
        double v = kValues[pick(8)];
        run.metrics[key] = v;
        SLUICE_RETURN_IF_ERROR(c.Execute(
            "INSERT INTO latest_metrics (run_uuid, key, value, is_nan, timestamp, step) "
            "VALUES (?, ?, ?, ?, 0, 0)",
            {run.id, key, std::isnan(v) ? storage::Value() : storage::Value(v),
             std::isnan(v) ? 1 : 0}));
      }
      if (pick(3) > 0) {
        run.params["p"] = std::string(1, static_cast<char>('a' + pick(3)));
        SLUICE_RETURN_IF_ERROR(c.Execute("INSERT INTO params VALUES (?, 'p', ?)",
                                         {run.id, run.params["p"]}));
      }
      runs.push_back(std::move(run));
    }
    return Status::Ok();
  }));

  const char* kOps[] = {"=", "!=", "<", "<=", ">", ">="};
  const char* kThresholds[] = {"0.2", "0.5", "0.7"};
  const char* kOrderKeys[] = {"metrics.m0", "metrics.m1", "params.p", "attributes.start_time",
                              "attributes.run_id"};
  for (int trial = 0; trial < 60; ++trial) {
    std::string filter;
    for (int n = pick(3); n > 0; --n) {
      if (!filter.empty()) filter += " and ";
      if (pick(3) == 0) {
        filter += fmt::format("params.p {} '{}'", pick(2) ? "=" : "!=", "abc"[pick(3)]);
      } else {
        filter += fmt::format("metrics.m{} {} {}", pick(2), kOps[pick(6)], kThresholds[pick(3)]);
      }
    }
    Strings order_by;
    for (int n = pick(3); n > 0; --n) {
      std::string key = kOrderKeys[pick(5)];
      bool dup = std::any_of(order_by.begin(), order_by.end(),
                             [&](const std::string& o) { return o.rfind(key, 0) == 0; });
      if (!dup) order_by.push_back(key + (pick(2) ? " DESC" : " ASC"));
    }
    SCOPED_TRACE(fmt::format("filter '{}' order_by '{}'", filter, fmt::join(order_by, "', '")));
    ASSERT_OK_AND_ASSIGN(std::vector<Clause> clauses, ParseRunFilter(filter));
    ASSERT_OK_AND_ASSIGN(std::vector<OrderKey> keys, ParseRunOrderBy(order_by));

    std::vector<std::string> want = ModelSearch(runs, clauses, keys);
    std::vector<std::string> all = Search(filter, order_by);
    ASSERT_EQ(all, want);
    for (int64_t page : {1, 7, 64}) {
      std::vector<std::string> pages;
      for (int64_t offset = 0;; offset += page) {
        std::vector<std::string> got = Search(filter, order_by, ViewType::kActiveOnly, page,
                                              offset);
        pages.insert(pages.end(), got.begin(), got.end());
        if (static_cast<int64_t>(got.size()) < page) break;
      }
      ASSERT_EQ(pages, want) << "page size " << page;
    }
  }
}

// Experiments.
TEST_F(SearchDbTest, ExperimentSearch) {
  Exec("DELETE FROM experiments");
  Exec("INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, "
       "creation_time, last_update_time) VALUES (1, 'Alpha', 'a', 'active', 10, 50), "
       "(2, 'beta', 'a', 'active', 30, 40), (3, 'gamma', 'a', 'deleted', 20, 30), "
       "(4, 'alphabet', 'a', 'active', 30, 20)");
  Exec("INSERT INTO experiment_tags VALUES (1, 'team', 'ml'), (2, 'team', 'ML'), "
       "(3, 'team', 'ml')");
  auto search = [&](std::string_view filter, Strings order_by = {},
                    ViewType view = ViewType::kActiveOnly, int64_t limit = 100,
                    int64_t offset = 0) {
    ExperimentSearch s;
    s.filter = ParseExperimentFilter(filter).value();
    s.order_by = ParseExperimentOrderBy(order_by).value();
    s.view = view;
    s.limit = limit;
    s.offset = offset;
    return Ids(CompileExperimentSearch(s));
  };
  // Default: creation_time DESC, experiment_id ASC.
  EXPECT_THAT(search(""), ElementsAre("2", "4", "1"));
  EXPECT_THAT(search("", {}, ViewType::kAll), ElementsAre("2", "4", "3", "1"));
  EXPECT_THAT(search("", {}, ViewType::kDeletedOnly), ElementsAre("3"));
  // A given order gets experiment_id DESC as tie-breaker, as MLflow's SQL store.
  EXPECT_THAT(search("", {"creation_time"}), ElementsAre("1", "4", "2"));
  EXPECT_THAT(search("", {"name"}), ElementsAre("1", "4", "2"));
  EXPECT_THAT(search("", {"last_update_time DESC"}), ElementsAre("1", "2", "4"));
  EXPECT_THAT(search("", {"experiment_id DESC"}), ElementsAre("4", "2", "1"));
  EXPECT_THAT(search("name LIKE 'alpha%'"), ElementsAre("4"));
  EXPECT_THAT(search("name ILIKE 'alpha%'"), ElementsAre("4", "1"));
  EXPECT_THAT(search("name != 'beta'"), ElementsAre("4", "1"));
  EXPECT_THAT(search("tags.team = 'ml'", {}, ViewType::kAll), ElementsAre("3", "1"));
  EXPECT_THAT(search("tags.team ILIKE 'ml' and creation_time >= 20"), ElementsAre("2"));
  EXPECT_THAT(search("tags.team != 'x'"), ElementsAre("2", "1"));  // 4 has no tag
  EXPECT_THAT(search("last_update_time < 50 and attribute.creation_time > 10"),
              ElementsAre("2", "4"));
  EXPECT_THAT(search("", {}, ViewType::kActiveOnly, 2, 1), ElementsAre("4", "1"));
}

// Not a pass/fail check: prints how long the benchmark-shaped searches take over 10,000 runs.
TEST_F(SearchDbTest, TimingOverTenThousandRuns) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> unit(0, 1);
  ASSERT_OK(db_->Write([&](storage::Connection& c) -> Status {
    for (int i = 0; i < 10000; ++i) {
      std::string id = fmt::format("{:032x}", i * 2654435761u);
      SLUICE_RETURN_IF_ERROR(c.Execute(
          "INSERT INTO runs (run_uuid, experiment_id, name, status, start_time, artifact_uri) "
          "VALUES (?, 1, 'r', 'FINISHED', ?, 'x')",
          {id, int64_t{1700000000000} + i}));
      for (const char* key : {"m", "n"}) {
        SLUICE_RETURN_IF_ERROR(c.Execute(
            "INSERT INTO latest_metrics (run_uuid, key, value, timestamp, step) "
            "VALUES (?, ?, ?, 0, 0)",
            {id, key, unit(rng)}));
      }
      SLUICE_RETURN_IF_ERROR(c.Execute("INSERT INTO params VALUES (?, 'p', ?)",
                                       {id, std::string(1, static_cast<char>('a' + i % 3))}));
      SLUICE_RETURN_IF_ERROR(
          c.Execute("INSERT INTO tags VALUES (?, 'grp', ?)", {id, fmt::format("g{}", i % 10)}));
    }
    return Status::Ok();
  }));
  auto time = [&](std::string_view label, std::string_view filter, Strings order_by,
                  int64_t limit) {
    std::vector<std::string> ids;
    double best_ms = 1e9;
    for (int i = 0; i < 7; ++i) {
      auto start = std::chrono::steady_clock::now();
      ids = Search(filter, order_by, ViewType::kActiveOnly, limit);
      std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
      best_ms = std::min(best_ms, took.count());
    }
    std::printf("[ timing ] %-46s %7.2f ms (best of 7, %zu rows)\n", std::string(label).c_str(),
                best_ms, ids.size());
    EXPECT_FALSE(ids.empty());
  };
  time("metrics.m < 0.5 order by metrics.m DESC", "metrics.m < 0.5", {"metrics.m DESC"}, 100);
  time("metrics.m < 0.5 order by metrics.n DESC", "metrics.m < 0.5", {"metrics.n DESC"}, 100);
  time("params.p = 'a' and tags.grp = 'g3'", "params.p = 'a' and tags.grp = 'g3'", {}, 100);
  time("no filter, 1000 results", "", {}, 1000);
  time("no filter, first 10", "", {}, 10);
}
}  // namespace
}  // namespace sluice::tracking
