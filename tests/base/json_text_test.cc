#include "base/json_text.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>

namespace sluice {
namespace {

TEST(JsonTextTest, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(JsonQuote("a\"b\\c\n\r\t\x01\x1f\b"), R"("a\"b\\c\n\r\t\u0001\u001f\u0008")");
  EXPECT_EQ(JsonQuote(""), R"("")");
  EXPECT_EQ(JsonQuote("plain / text"), R"("plain / text")");
}

TEST(JsonTextTest, KeepsUtf8AndReplacesWhatIsNotUtf8) {
  EXPECT_EQ(JsonQuote("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
  // A stray continuation byte, a truncated sequence (one U+FFFD for its valid prefix), an
  // overlong form, a surrogate, above U+10FFFF.
  EXPECT_EQ(JsonQuote("a\x80z"), "\"a\xEF\xBF\xBDz\"");
  EXPECT_EQ(JsonQuote("a\xE2\x82z"), "\"a\xEF\xBF\xBDz\"");
  EXPECT_EQ(JsonQuote("\xC0\xAF"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_EQ(JsonQuote("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_EQ(JsonQuote("\xF4\x90\x80\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

TEST(JsonTextTest, AppendsToWhatIsThere) {
  std::string out = "[";
  AppendJsonString(out, "x");
  EXPECT_EQ(out, R"([")"
                 "x\"");
}

TEST(JsonTextTest, AnyBytesGiveJsonThatReadsBackAsTheUtf8Text) {
  std::mt19937 rng(7);
  for (int round = 0; round < 2000; ++round) {
    std::string text(rng() % 12, '\0');
    for (char& c : text) c = static_cast<char>(rng() % 256);
    const std::string quoted = JsonQuote(text);
    const nlohmann::json parsed = nlohmann::json::parse(quoted, nullptr, false);
    ASSERT_FALSE(parsed.is_discarded()) << quoted;
    // The same text as nlohmann's own serializer with `replace` gives.
    const std::string expected =
        nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    EXPECT_EQ(nlohmann::json::parse(expected), parsed) << quoted;
  }
}

}  // namespace
}  // namespace sluice
