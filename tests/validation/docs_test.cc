// docs/formats/validation-suite.md holds the tables generated from the declaration of every
// expectation, so the documentation cannot drift from the code. To refresh it, replace the part
// after "## Expectations" with the output of `sluice validate list --markdown`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/temp_dir.h"
#include "validation/expectations.h"

namespace sluice::validation {
namespace {

TEST(DocsTest, TheSuiteFormatPageListsEveryExpectationAsDeclared) {
  const std::string page =
      testing::ReadFile(std::string(SLUICE_SOURCE_DIR) + "/docs/formats/validation-suite.md");
  EXPECT_THAT(page, ::testing::HasSubstr(ExpectationsMarkdown()))
      << "refresh docs/formats/validation-suite.md with `sluice validate list --markdown`";
}

}  // namespace
}  // namespace sluice::validation
