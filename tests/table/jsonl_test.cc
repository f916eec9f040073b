#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "table/column_values.h"
#include "table/table.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sluice::table {
namespace {

using ::sluice::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ParseJsonlTest, UnionOfKeysInFirstSeenOrderWithMissingKeysNull) {
  ASSERT_OK_AND_ASSIGN(Table t, ParseJsonl("{\"b\": 1, \"a\": \"x\"}\n"
                                           "\n"
                                           "{\"a\": \"y\", \"c\": true}\r\n"
                                           "   \n"
                                           "{\"b\": null}"));
  EXPECT_THAT(t.ColumnNames(), ElementsAre("b", "a", "c"));
  ASSERT_EQ(t.num_rows(), 3u);
  EXPECT_EQ(t.column(0).type(), Type::kInt64);
  EXPECT_THAT(Values(t.column(0)), ElementsAre("1", "<null>", "<null>"));
  EXPECT_EQ(t.column(1).type(), Type::kString);
  EXPECT_THAT(Values(t.column(1)), ElementsAre("x", "y", "<null>"));
  EXPECT_EQ(t.column(2).type(), Type::kBool);
  EXPECT_THAT(Values(t.column(2)), ElementsAre("<null>", "true", "<null>"));
}

TEST(ParseJsonlTest, ColumnTypes) {
  ASSERT_OK_AND_ASSIGN(
      Table t,
      ParseJsonl(
          "{\"i\":1,\"f\":1,\"big\":1,\"mix\":1,\"nest\":{\"k\":[1,2]},\"n\":null,\"fb\":1}\n"
          "{\"i\":-2,\"f\":2.5,\"big\":18446744073709551615,\"mix\":\"x\",\"nest\":[true],"
          "\"n\":null,\"fb\":false}\n"));
  EXPECT_EQ(t.Find("i")->type(), Type::kInt64);
  EXPECT_THAT(t.Find("i")->int64s(), ElementsAre(1, -2));
  EXPECT_EQ(t.Find("f")->type(), Type::kFloat64);
  EXPECT_THAT(t.Find("f")->float64s(), ElementsAre(1.0, 2.5));
  EXPECT_EQ(t.Find("big")->type(), Type::kFloat64);
  EXPECT_EQ(t.Find("mix")->type(), Type::kString);
  EXPECT_THAT(t.Find("mix")->strings(), ElementsAre("1", "x"));
  EXPECT_EQ(t.Find("nest")->type(), Type::kString);
  EXPECT_THAT(t.Find("nest")->strings(), ElementsAre("{\"k\":[1,2]}", "[true]"));
  EXPECT_EQ(t.Find("n")->type(), Type::kFloat64);
  EXPECT_EQ(t.Find("n")->null_count(), 2u);
  EXPECT_THAT(t.Find("fb")->strings(), ElementsAre("1", "false"));
}

TEST(ParseJsonlTest, ErrorsNameTheLine) {
  EXPECT_THAT(ParseJsonl("{\"a\":1}\n[1,2]\n"),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("jsonl line 2: expected a JSON object, got array")));
  EXPECT_THAT(ParseJsonl("{\"a\":1}\n\n{\"a\":tru}\n"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("jsonl line 3: column ")));
  EXPECT_THAT(ParseJsonl("{\"a\":1} x\n"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("jsonl line 1: ")));
}

TEST(ParseJsonlTest, EmptyInput) {
  ASSERT_OK_AND_ASSIGN(Table t, ParseJsonl("\n\n"));
  EXPECT_EQ(t.num_columns(), 0u);
}

TEST(ReadJsonlTest, PrefixesThePath) {
  sluice::testing::TempDir dir;
  sluice::testing::WriteFile(dir / "d.jsonl", "{\"a\":1}\n\"s\"\n");
  EXPECT_THAT(ReadJsonl(dir / "d.jsonl"),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr((dir / "d.jsonl").string() +
                                 ": jsonl line 2: expected a JSON object, got string")));
}

}  // namespace
}  // namespace sluice::table
