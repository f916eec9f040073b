// GoogleMock matchers for Status and Result<T>:
//   EXPECT_THAT(store.GetRun("x"), StatusIs(StatusCode::kNotFound, HasSubstr("'x'")));
//   EXPECT_THAT(store.CreateExperiment("a"), IsOk());
//   ASSERT_OK_AND_ASSIGN(Run run, store.GetRun(id));
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/status.h"

namespace sluice::testing {

inline const Status& GetStatus(const Status& s) { return s; }
template <typename T>
const Status& GetStatus(const Result<T>& r) {
  return r.status();
}

MATCHER(IsOk, "is OK") {
  const Status& s = GetStatus(arg);
  if (!s.ok()) *result_listener << "status is " << s.ToString();
  return s.ok();
}

MATCHER_P(StatusIs, code, "has code " + std::string(StatusCodeName(code))) {
  const Status& s = GetStatus(arg);
  *result_listener << "status is " << s.ToString();
  return s.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has code " + std::string(StatusCodeName(code)) + " and a matching message") {
  const Status& s = GetStatus(arg);
  *result_listener << "status is " << s.ToString();
  return s.code() == code &&
         ::testing::ExplainMatchResult(message_matcher, s.message(), result_listener);
}

}  // namespace sluice::testing

#define ASSERT_OK(expr)                                                   \
  do {                                                                    \
    const ::sluice::Status sluice_s_ = ::sluice::testing::GetStatus(expr);           \
    ASSERT_TRUE(sluice_s_.ok()) << sluice_s_.ToString();                  \
  } while (0)
#define EXPECT_OK(expr)                                                   \
  do {                                                                    \
    const ::sluice::Status sluice_s_ = ::sluice::testing::GetStatus(expr);           \
    EXPECT_TRUE(sluice_s_.ok()) << sluice_s_.ToString();                  \
  } while (0)
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(SLUICE_CONCAT_(sluice_r_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(r, lhs, expr) \
  auto r = (expr);                               \
  ASSERT_TRUE(r.ok()) << r.status().ToString();  \
  lhs = std::move(r).value()
