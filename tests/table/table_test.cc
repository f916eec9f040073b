#include "table/table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sluice::table {
namespace {

using ::sluice::testing::IsOk;
using ::sluice::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

Table Sample() {
  auto t = Table::Make({Column::Int64("id", {1, 2, 3}),
                        Column::String("name", {"a", "b", "c"}, {1, 0, 1}),
                        Column::Float64("score", {0.5, 1.5, 2.5})});
  EXPECT_THAT(t, IsOk());
  return std::move(t).value();
}

TEST(TableTest, MakeChecksNamesAndLengths) {
  EXPECT_THAT(Table::Make({Column::Int64("a", {1}), Column::Int64("a", {2})}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("duplicate column name 'a'")));
  EXPECT_THAT(Table::Make({Column::Int64("a", {1, 2}), Column::Int64("b", {1})}),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("column 'b' has 1 rows, but column 'a' has 2")));
  ASSERT_OK_AND_ASSIGN(Table empty, Table::Make({}));
  EXPECT_EQ(empty.num_rows(), 0u);
  EXPECT_EQ(empty.num_columns(), 0u);

  Table t = Sample();
  EXPECT_EQ(t.num_rows(), 3u);
  EXPECT_EQ(t.num_columns(), 3u);
  EXPECT_THAT(t.ColumnNames(), ElementsAre("id", "name", "score"));
  EXPECT_EQ(t.column(1).name(), "name");
}

TEST(TableTest, FindAndGet) {
  Table t = Sample();
  ASSERT_NE(t.Find("score"), nullptr);
  EXPECT_EQ(t.Find("score")->type(), Type::kFloat64);
  EXPECT_EQ(t.Find("nope"), nullptr);
  ASSERT_OK_AND_ASSIGN(const Column* id, t.Get("id"));
  EXPECT_EQ(id->int64s()[2], 3);
  EXPECT_THAT(t.Get("nope"), StatusIs(StatusCode::kNotFound,
                                      HasSubstr("no column 'nope'; available: id, name, score")));
}

TEST(TableTest, GetListsAtMostTenNames) {
  std::vector<Column> columns;
  for (int i = 0; i < 12; ++i) columns.push_back(Column::Int64("c" + std::to_string(i), {}));
  ASSERT_OK_AND_ASSIGN(Table t, Table::Make(std::move(columns)));
  EXPECT_THAT(t.Get("x"), StatusIs(StatusCode::kNotFound,
                                   HasSubstr("available: c0, c1, c2, c3, c4, c5, c6, c7, c8, c9 "
                                             "and 2 more")));
}

TEST(TableTest, TakeAndSelect) {
  Table t = Sample();
  std::vector<size_t> rows = {2, 0};
  Table taken = t.Take(rows);
  EXPECT_EQ(taken.num_rows(), 2u);
  EXPECT_THAT(taken.Find("id")->int64s(), ElementsAre(3, 1));
  EXPECT_EQ(taken.Find("name")->null_count(), 0u);

  std::vector<std::string> names = {"score", "id"};
  ASSERT_OK_AND_ASSIGN(Table selected, t.Select(names));
  EXPECT_THAT(selected.ColumnNames(), ElementsAre("score", "id"));
  EXPECT_EQ(selected.num_rows(), 3u);
  EXPECT_EQ(selected.column(0).float64s().data(), t.column(2).float64s().data());  // shared

  std::vector<std::string> missing = {"id", "nope"};
  EXPECT_THAT(t.Select(missing), StatusIs(StatusCode::kNotFound, HasSubstr("no column 'nope'")));
  std::vector<std::string> twice = {"id", "id"};
  EXPECT_THAT(t.Select(twice),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("duplicate column name 'id'")));
}

TEST(TableTest, AddColumn) {
  Table t;
  ASSERT_OK(t.AddColumn(Column::Int64("a", {1, 2})));
  EXPECT_EQ(t.num_rows(), 2u);
  EXPECT_THAT(t.AddColumn(Column::Int64("a", {1, 2})),
              StatusIs(StatusCode::kAlreadyExists, HasSubstr("column 'a' already exists")));
  EXPECT_THAT(t.AddColumn(Column::Int64("b", {1})),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("column 'b' has 1 rows, but the table has 2")));
  ASSERT_OK(t.AddColumn(Column::Bool("b", {1, 0})));
  EXPECT_THAT(t.ColumnNames(), ElementsAre("a", "b"));
}

TEST(TableTest, Equals) {
  EXPECT_TRUE(Sample().Equals(Sample()));
  Table other = Sample();
  ASSERT_OK(other.AddColumn(Column::Int64("extra", {0, 0, 0})));
  EXPECT_FALSE(Sample().Equals(other));
}

TEST(TableTest, ConcatAppendsRowsAndChecksSchemas) {
  ASSERT_OK_AND_ASSIGN(Table a,
                       Table::Make({Column::Int64("x", {1, 2}), Column::String("s", {"p", "q"})}));
  ASSERT_OK_AND_ASSIGN(Table b,
                       Table::Make({Column::Int64("x", {3}, {0}), Column::String("s", {"r"})}));
  std::vector<Table> both = {a, b};
  ASSERT_OK_AND_ASSIGN(Table joined, Concat(both));
  ASSERT_EQ(joined.num_rows(), 3u);
  EXPECT_THAT(joined.column(0).validity(), ElementsAre(1, 1, 0));
  EXPECT_THAT(joined.column(1).strings(), ElementsAre("p", "q", "r"));

  ASSERT_OK_AND_ASSIGN(Table c,
                       Table::Make({Column::Float64("x", {1}), Column::String("s", {"r"})}));
  std::vector<Table> mismatched = {a, c};
  EXPECT_THAT(Concat(mismatched),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("table 1 column 0 is 'x' (float64), but table 0 has 'x' "
                                 "(int64)")));
  ASSERT_OK_AND_ASSIGN(Table none, Concat({}));
  EXPECT_EQ(none.num_columns(), 0u);
}

TEST(ReadTableTest, PicksTheReaderByExtension) {
  sluice::testing::TempDir dir;
  sluice::testing::WriteFile(dir / "a.csv", "x,y\n1,2\n");
  sluice::testing::WriteFile(dir / "a.TSV", "x\ty\n1\t2\n");
  sluice::testing::WriteFile(dir / "a.ndjson", "{\"x\":1,\"y\":2}\n");
  sluice::testing::WriteFile(dir / "a.jsonl", "{\"x\":1,\"y\":2}\n");
  for (const char* name : {"a.csv", "a.TSV", "a.ndjson", "a.jsonl"}) {
    ASSERT_OK_AND_ASSIGN(Table t, ReadTable(dir / name));
    EXPECT_THAT(t.ColumnNames(), ElementsAre("x", "y")) << name;
    EXPECT_THAT(t.column(1).int64s(), ElementsAre(2)) << name;
  }
  EXPECT_THAT(ReadTable(dir / "a.parquet"),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("unsupported file extension '.parquet'; supported: .csv, .tsv, "
                                 ".jsonl, .ndjson")));
  EXPECT_THAT(ReadTable(dir / "missing.csv"), StatusIs(StatusCode::kNotFound));
}

}  // namespace
}  // namespace sluice::table
