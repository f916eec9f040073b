#include "table/column.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "testing/status_matchers.h"

namespace sluice::table {
namespace {

using ::sluice::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(TypeNameTest, RoundTripsAndNamesTheValidNamesOnError) {
  for (Type type : {Type::kFloat64, Type::kInt64, Type::kString, Type::kBool, Type::kTimestamp}) {
    ASSERT_OK_AND_ASSIGN(Type parsed, ParseTypeName(TypeName(type)));
    EXPECT_EQ(parsed, type);
  }
  EXPECT_EQ(TypeName(Type::kTimestamp), "timestamp");
  EXPECT_THAT(ParseTypeName("int"),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("unknown type 'int'; valid types: float64, int64, string, bool, "
                                 "timestamp")));
}

TEST(ColumnTest, FactoriesCountNullsAndDropAnAllPresentMask) {
  Column c = Column::Int64("n", {1, 2, 3}, {1, 0, 7});
  EXPECT_EQ(c.name(), "n");
  EXPECT_EQ(c.type(), Type::kInt64);
  EXPECT_EQ(c.size(), 3u);
  EXPECT_EQ(c.null_count(), 1u);
  EXPECT_FALSE(c.IsNull(0));
  EXPECT_TRUE(c.IsNull(1));
  EXPECT_FALSE(c.IsNull(2));
  EXPECT_THAT(c.validity(), ElementsAre(1, 0, 1));

  Column all = Column::Float64("f", {1.5, 2.5}, {1, 1});
  EXPECT_EQ(all.null_count(), 0u);
  EXPECT_TRUE(all.validity().empty());
  EXPECT_THAT(all.float64s(), ElementsAre(1.5, 2.5));

  EXPECT_THAT(Column::Bool("b", {0, 5, 1}).bools(), ElementsAre(0, 1, 1));
  EXPECT_THAT(Column::String("s", {"x", "y"}).strings(), ElementsAre("x", "y"));
  EXPECT_THAT(Column::Timestamp("t", {7}).int64s(), ElementsAre(7));

  Column empty;
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_EQ(empty.type(), Type::kFloat64);
}

TEST(ColumnTest, AsDoubleAndValueToString) {
  Column f = Column::Float64("f", {0.1, 1.0, 1e20, 0}, {1, 1, 1, 0});
  EXPECT_EQ(f.ValueToString(0), "0.1");
  EXPECT_EQ(f.ValueToString(1), "1");
  EXPECT_EQ(f.ValueToString(2), "1e+20");
  EXPECT_EQ(f.ValueToString(3), "");
  EXPECT_DOUBLE_EQ(f.AsDouble(0), 0.1);
  EXPECT_TRUE(std::isnan(f.AsDouble(3)));

  Column i = Column::Int64("i", {-42, std::numeric_limits<int64_t>::max()});
  EXPECT_EQ(i.ValueToString(0), "-42");
  EXPECT_EQ(i.ValueToString(1), "9223372036854775807");
  EXPECT_EQ(i.AsDouble(0), -42.0);

  Column b = Column::Bool("b", {1, 0}, {1, 0});
  EXPECT_EQ(b.ValueToString(0), "true");
  EXPECT_EQ(b.ValueToString(1), "");
  EXPECT_EQ(b.AsDouble(0), 1.0);
  EXPECT_TRUE(std::isnan(b.AsDouble(1)));

  Column t = Column::Timestamp("t", {1767323045000000, 1767323045250000, -500000});
  EXPECT_EQ(t.ValueToString(0), "2026-01-02T03:04:05Z");
  EXPECT_EQ(t.ValueToString(1), "2026-01-02T03:04:05.25Z");
  EXPECT_EQ(t.ValueToString(2), "1969-12-31T23:59:59.5Z");
  EXPECT_EQ(t.AsDouble(0), 1767323045000000.0);

  Column s = Column::String("s", {"a,b", ""}, {1, 0});
  EXPECT_EQ(s.ValueToString(0), "a,b");
  EXPECT_EQ(s.ValueToString(1), "");
}

TEST(ColumnDeathTest, WrongTypedViewAborts) {
  Column i = Column::Int64("i", {1});
  EXPECT_DEATH((void)i.float64s(), "type_ == Type::kFloat64");
  Column s = Column::String("s", {"x"});
  EXPECT_DEATH((void)s.AsDouble(0), "kString");
}

TEST(ColumnTest, TakeKeepsOrderRepeatsAndNulls) {
  Column c = Column::String("s", {"a", "b", "c"}, {1, 0, 1});
  std::vector<size_t> rows = {2, 1, 2, 0};
  Column taken = c.Take(rows);
  EXPECT_EQ(taken.name(), "s");
  ASSERT_EQ(taken.size(), 4u);
  EXPECT_EQ(taken.ValueToString(0), "c");
  EXPECT_TRUE(taken.IsNull(1));
  EXPECT_EQ(taken.ValueToString(2), "c");
  EXPECT_EQ(taken.ValueToString(3), "a");
  EXPECT_EQ(taken.null_count(), 1u);

  std::vector<size_t> present = {0, 2};
  EXPECT_TRUE(c.Take(present).validity().empty());
}

TEST(ColumnTest, RenamedSharesTheData) {
  Column c = Column::Float64("a", {1, 2});
  Column r = c.Renamed("b");
  EXPECT_EQ(r.name(), "b");
  EXPECT_EQ(c.name(), "a");
  EXPECT_EQ(r.float64s().data(), c.float64s().data());
}

TEST(ColumnTest, EqualsComparesNameTypeNullsAndValues) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Column a = Column::Float64("x", {1, nan, 3}, {1, 1, 0});
  EXPECT_TRUE(a.Equals(Column::Float64("x", {1, nan, 99}, {1, 1, 0})));  // null values ignored
  EXPECT_FALSE(a.Equals(Column::Float64("y", {1, nan, 3}, {1, 1, 0})));
  EXPECT_FALSE(a.Equals(Column::Float64("x", {1, nan, 3})));
  EXPECT_FALSE(a.Equals(Column::Float64("x", {2, nan, 3}, {1, 1, 0})));
  EXPECT_FALSE(Column::Int64("x", {1}).Equals(Column::Timestamp("x", {1})));
}

struct TimestampCase {
  const char* text;
  std::optional<int64_t> micros;
};

TEST(TimestampTest, ParsesIsoDatesTimesFractionsAndOffsets) {
  const TimestampCase cases[] = {
      {"1970-01-01", 0},
      {"2026-01-02", 1767312000000000},
      {"2026-01-02T03:04:05", 1767323045000000},
      {"2026-01-02 03:04:05", 1767323045000000},
      {"2026-01-02t03:04:05z", 1767323045000000},
      {"2026-01-02T03:04:05Z", 1767323045000000},
      {"  2026-01-02T03:04:05Z ", 1767323045000000},
      {"2026-01-02T03:04", 1767323040000000},
      {"2026-01-02T03:04:05+02:00", 1767315845000000},
      {"2026-01-02T03:04:05+0200", 1767315845000000},
      {"2026-01-02T03:04:05+02", 1767315845000000},
      {"2026-01-02T03:04:05.123456", 1767323045123456},
      {"2026-01-02T03:04:05.123456789Z", 1767323045123456},  // past micros: dropped
      {"2026-01-02T03:04:05.5Z", 1767323045500000},
      {"1900-03-01T12:00:00-05:30", -2203828200000000},
      {"2024-02-29", 1709164800000000},
      {"2026-02-29", std::nullopt},
      {"2026-13-01", std::nullopt},
      {"2026-00-10", std::nullopt},
      {"2026-1-2", std::nullopt},
      {"2026-01-02T24:00:00", std::nullopt},
      {"2026-01-02T03:60", std::nullopt},
      {"2026-01-02T03:04:05+25:00", std::nullopt},
      {"2026-01-02T03:04:05.", std::nullopt},
      {"2026-01-02T03:04:05 UTC", std::nullopt},
      {"2026-01-02X03:04", std::nullopt},
      {"2026-01-02T", std::nullopt},
      {"20260102", std::nullopt},
      {"", std::nullopt},
  };
  for (const TimestampCase& c : cases) {
    EXPECT_EQ(ParseTimestamp(c.text), c.micros) << c.text;
  }
}

TEST(TimestampTest, FormatRoundTrips) {
  for (int64_t micros : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{1767323045123456},
                         int64_t{-2203828200000000}, int64_t{253402300799999999}}) {
    std::string text = FormatTimestamp(micros);
    EXPECT_EQ(ParseTimestamp(text), micros) << text;
  }
  EXPECT_EQ(FormatTimestamp(253402300799999999), "9999-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatTimestamp(-1), "1969-12-31T23:59:59.999999Z");
}

}  // namespace
}  // namespace sluice::table
