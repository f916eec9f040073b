#include "tracking/run_names.h"

#include <fmt/core.h>

#include <array>
#include <cstdint>
#include <string_view>

#include "base/random.h"

namespace sluice::tracking {
namespace {

constexpr std::array<std::string_view, 32> kAdjectives = {
    "amber", "bold",  "brave",  "bright", "calm",   "clever", "crisp",  "dapper",
    "eager", "fair",  "gentle", "glad",   "golden", "grand",  "happy",  "honest",
    "jolly", "keen",  "kind",   "lively", "lucid",  "merry",  "nimble", "noble",
    "proud", "quick", "quiet",  "rapid",  "sharp",  "steady", "swift",  "witty"};
constexpr std::array<std::string_view, 32> kNouns = {
    "badger", "bear",  "crane", "deer",  "dove", "eagle", "falcon", "finch",
    "fox",    "gecko", "hare",  "heron", "ibis", "koala", "lark",   "lemur",
    "lynx",   "mole",  "newt",  "otter", "owl",  "panda", "puffin", "quail",
    "raven",  "seal",  "shrew", "stoat", "swan", "tern",  "wolf",   "wren"};

}  // namespace

std::string GenerateRunName() {
  std::array<uint8_t, 4> r;
  RandomBytes(r);
  return fmt::format("{}-{}-{}", kAdjectives[r[0] % kAdjectives.size()],
                     kNouns[r[1] % kNouns.size()], (r[2] << 8 | r[3]) % 1000);
}

}  // namespace sluice::tracking
