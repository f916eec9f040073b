#include "storage/value.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace sluice::storage {
namespace {

TEST(ValueTest, DefaultIsNull) {
  Value v;
  EXPECT_TRUE(v.is_null());
  EXPECT_EQ(v.AsInt(), 0);
  EXPECT_EQ(v.AsDouble(), 0.0);
  EXPECT_EQ(v.AsText(), "");
  EXPECT_EQ(v.AsOptionalInt(), std::nullopt);
  EXPECT_TRUE(Value(nullptr).is_null());
  EXPECT_TRUE(Value(std::optional<int>()).is_null());
}

TEST(ValueTest, ConstructorsPickTheStorageType) {
  EXPECT_TRUE(Value(1).is_int());
  EXPECT_TRUE(Value(int64_t{1}).is_int());
  EXPECT_TRUE(Value(uint64_t{1}).is_int());
  EXPECT_TRUE(Value(true).is_int());
  EXPECT_EQ(Value(true).AsInt(), 1);
  EXPECT_TRUE(Value(1.5).is_double());
  EXPECT_TRUE(Value("a").is_text());
  EXPECT_TRUE(Value(std::string_view("a")).is_text());
  EXPECT_TRUE(Value(std::string("a")).is_text());
  EXPECT_TRUE(Value(std::optional<int64_t>(7)).is_int());
  EXPECT_EQ(Value(std::optional<int64_t>(7)).AsOptionalInt(), 7);
}

TEST(ValueTest, NumbersConvertLeniently) {
  EXPECT_EQ(Value(int64_t{42}).AsDouble(), 42.0);
  EXPECT_EQ(Value(2.9).AsInt(), 2);
  EXPECT_EQ(Value(-2.9).AsInt(), -2);
  EXPECT_EQ(Value(std::nan("")).AsInt(), 0);
  EXPECT_EQ(Value(1e300).AsInt(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(Value(-1e300).AsInt(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(Value("17").AsInt(), 17);
  EXPECT_EQ(Value("2.5").AsDouble(), 2.5);
  EXPECT_EQ(Value("abc").AsInt(), 0);
  // A number has no text to lend by reference.
  EXPECT_EQ(Value(5).AsText(), "");
}

TEST(ValueTest, Equality) {
  EXPECT_EQ(Value(1), Value(int64_t{1}));
  EXPECT_NE(Value(1), Value(1.0));  // different storage classes
  EXPECT_EQ(Value("x"), Value(std::string("x")));
  EXPECT_EQ(Value(), Value(nullptr));
}

}  // namespace
}  // namespace sluice::storage
