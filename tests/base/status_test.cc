#include "base/status.h"

#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace sluice {
namespace {

using ::sluice::testing::StatusIs;
using ::testing::HasSubstr;

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgument("{} is odd", x);
  return x / 2;
}

Result<int> Quarter(int x) {
  SLUICE_ASSIGN_OR_RETURN(int half, Half(x));
  SLUICE_ASSIGN_OR_RETURN(int quarter, Half(half).WithContext("second halving"));
  return quarter;
}

TEST(StatusTest, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, ContextReadsOutsideIn) {
  Status s = NotFound("run 'x' does not exist").WithContext("log-batch").WithContext("api");
  EXPECT_EQ(s.message(), "api: log-batch: run 'x' does not exist");
  EXPECT_EQ(s.ToString(), "NOT_FOUND: api: log-batch: run 'x' does not exist");
}

TEST(StatusTest, ContextOnOkStaysOk) { EXPECT_TRUE(Status().WithContext("anything").ok()); }

TEST(ResultTest, AssignOrReturnPropagatesWithContext) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_THAT(Quarter(3), StatusIs(StatusCode::kInvalidArgument, "3 is odd"));
  EXPECT_THAT(Quarter(6),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("second halving: 3 is odd")));
}

TEST(ResultTest, ResultFromOkStatusIsAnError) {
  Result<int> r = Status();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

TEST(ResultDeathTest, ValueOfErrorAborts) {
  Result<int> r = NotFound("nothing");
  EXPECT_DEATH((void)r.value(), "NOT_FOUND: nothing");
}

}  // namespace
}  // namespace sluice
