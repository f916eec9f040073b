#include "serving/inputs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "testing/status_matchers.h"

namespace sluice::serving {
namespace {

using ::sluice::testing::StatusIs;
using ::testing::HasSubstr;
using Json = nlohmann::json;

const std::vector<models::InputColumn> kInputs = {
    {.name = "age", .type = table::Type::kInt64},
    {.name = "plan",
     .type = table::Type::kString,
     .encoding = models::Encoding::kOrdinal,
     .categories = {"basic", "pro"}},
    {.name = "since", .type = table::Type::kTimestamp},
};

void ExpectRows(const table::Table& t) {
  ASSERT_EQ(t.num_rows(), 2u);
  ASSERT_EQ(t.num_columns(), 3u);
  EXPECT_EQ(t.column(0).AsDouble(0), 30);
  EXPECT_TRUE(t.column(0).IsNull(1));
  EXPECT_EQ(t.column(1).ValueToString(1), "pro");
  EXPECT_EQ(t.column(2).type(), table::Type::kTimestamp);
  EXPECT_EQ(t.column(2).ValueToString(0), "2026-01-02T03:04:05Z");
}

TEST(OipDecodeTest, NamedTensorsBecomeColumns) {
  Json body = Json::parse(R"({"inputs": [
    {"name": "plan", "shape": [2], "datatype": "BYTES", "data": ["basic", "pro"]},
    {"name": "age", "shape": [2, 1], "datatype": "INT64", "data": [[30], [null]]},
    {"name": "since", "shape": [2], "datatype": "BYTES",
     "data": ["2026-01-02T03:04:05Z", "2026-02-01"]}]})");
  ASSERT_OK_AND_ASSIGN(table::Table t, DecodeOipRequest(body, kInputs));
  ExpectRows(t);
}

TEST(OipDecodeTest, OneWideTensorIsTheInputsInOrder) {
  Json body = Json::parse(R"({"inputs": [{"name": "input-0", "shape": [2, 3], "datatype": "BYTES",
    "data": [30, "basic", "2026-01-02T03:04:05Z", null, "pro", "2026-02-01"]}]})");
  ASSERT_OK_AND_ASSIGN(table::Table t, DecodeOipRequest(body, kInputs));
  ExpectRows(t);
}

TEST(OipDecodeTest, ErrorsNameTheInputAndTheFix) {
  struct Case {
    const char* body;
    const char* message;
  };
  const Case cases[] = {
      {R"({})", "the request needs \"inputs\""},
      {R"({"inputs": [{"shape": [1], "datatype": "FP32", "data": [1]}]})", "needs a \"name\""},
      {R"({"inputs": [{"name": "age", "shape": [1], "datatype": "FLOAT", "data": [1]}]})",
       "datatype 'FLOAT' is not an Open Inference Protocol type"},
      {R"({"inputs": [{"name": "age", "shape": [2], "datatype": "INT64", "data": [1]}]})",
       "input 'age': shape [2] needs 2 values, data has 1"},
      {R"({"inputs": [{"name": "age", "shape": [1], "datatype": "INT64", "data": [1]}]})",
       "input 'plan' is missing; the model takes: age, plan, since"},
      {R"({"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}]})",
       "input 'x' has 2 columns per row; the model takes 3"},
      {R"({"inputs": [{"name": "x", "shape": [1, 3], "datatype": "BYTES",
          "data": ["old", "pro", "2026-01-01"]}]})",
       "input 'age' row 0: expected a number, got \"old\""},
      {R"({"inputs": [{"name": "x", "shape": [1, 3], "datatype": "BYTES",
          "data": [1, "pro", "yesterday"]}]})",
       "input 'since' row 0: expected an ISO-8601 time"},
      {R"({"inputs": [{"name": "age", "shape": [1], "datatype": "INT64", "data": [1]},
                      {"name": "age", "shape": [1], "datatype": "INT64", "data": [1]}]})",
       "input 'age' is given twice"},
      {R"({"inputs": [{"name": "age", "shape": [1], "datatype": "INT64", "data": [1]},
                      {"name": "plan", "shape": [2], "datatype": "BYTES", "data": ["a", "b"]}]})",
       "input 'plan' has 2 rows, 'age' has 1"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(DecodeOipRequest(Json::parse(c.body), kInputs),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.body;
  }
}

TEST(MlflowDecodeTest, EveryFormatGivesTheSameTable) {
  const char* bodies[] = {
      R"({"dataframe_split": {"columns": ["since", "age", "plan"],
          "data": [["2026-01-02T03:04:05Z", 30, "basic"], ["2026-02-01", null, "pro"]]}})",
      R"({"dataframe_records": [{"age": 30, "plan": "basic", "since": "2026-01-02T03:04:05Z"},
                               {"plan": "pro", "since": "2026-02-01"}]})",
      R"({"instances": [[30, "basic", "2026-01-02T03:04:05Z"], [null, "pro", "2026-02-01"]]})",
      R"({"inputs": {"age": [30, null], "plan": ["basic", "pro"],
                     "since": ["2026-01-02T03:04:05Z", "2026-02-01"]}})",
  };
  for (const char* body : bodies) {
    ASSERT_OK_AND_ASSIGN(table::Table t, DecodeMlflowRequest(body, "application/json", kInputs));
    ExpectRows(t);
  }
  ASSERT_OK_AND_ASSIGN(
      table::Table csv,
      DecodeMlflowRequest("age,plan,since\n30,basic,2026-01-02T03:04:05Z\n,pro,2026-02-01\n",
                          "text/csv; charset=utf-8", kInputs));
  EXPECT_EQ(csv.num_rows(), 2u);
}

TEST(MlflowDecodeTest, ErrorsSayWhatIsExpected) {
  EXPECT_THAT(DecodeMlflowRequest("{nope", "application/json", kInputs),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("not valid JSON")));
  EXPECT_THAT(DecodeMlflowRequest(R"({"rows": []})", "application/json", kInputs),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("exactly one of dataframe_split, dataframe_records, instances")));
  EXPECT_THAT(
      DecodeMlflowRequest(R"({"instances": [[1, "pro"]]})", "", kInputs),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("row 0 must be a list of 3 values")));
  EXPECT_THAT(DecodeMlflowRequest("a,b\n1,2\n", "text/csv", kInputs),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("'a' is not an input")));
  EXPECT_THAT(
      DecodeMlflowRequest("x", "application/xml", kInputs),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("send application/json or text/csv")));
}

}  // namespace
}  // namespace sluice::serving
