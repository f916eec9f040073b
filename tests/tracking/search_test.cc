#include "tracking/search.h"

#include <cmath>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"

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

}  // namespace
}  // namespace sluice::tracking
