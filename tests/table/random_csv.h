// A random CSV text and the table it must parse to, for the CSV reader tests.
#pragma once

#include <fmt/core.h>

#include <cmath>
#include <cstdint>
#include <iterator>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "table/table.h"

namespace sluice::table {

// A random CSV and the table it must parse to. Quoting, CRLF and blank lines vary at random, and
// some columns only widen their type late in the file.
struct RandomCsv {
  std::string text;
  Table expected;
};

inline RandomCsv MakeRandomCsv(uint32_t seed, size_t rows) {
  std::mt19937 rng(seed);
  auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  const std::string alphabet[] = {"a", "b", ",", "\"", "\n", "\r\n", " ", "é", "x"};

  std::vector<int64_t> ints(rows);
  std::vector<double> floats(rows);
  std::vector<std::string> strings(rows);
  std::vector<uint8_t> bools(rows);
  std::vector<int64_t> stamps(rows);
  std::vector<double> late(rows);  // ints until the last row, which is a float
  std::vector<uint8_t> string_valid(rows, 1), float_valid(rows, 1), late_valid(rows, 1);
  std::string text = "int,\"float\",str,bool,ts,late\n";
  auto field = [&](const std::string& value, bool must_quote) {
    if (!must_quote && !chance(0.1)) return value;
    std::string quoted = "\"";
    for (char c : value) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
  };
  for (size_t r = 0; r < rows; ++r) {
    ints[r] = static_cast<int64_t>(rng()) - (int64_t{1} << 31);
    floats[r] = std::ldexp(static_cast<double>(rng()), static_cast<int>(pick(40)) - 20);
    float_valid[r] = chance(0.1) ? 0 : 1;
    std::string s = "s";
    for (size_t n = pick(8); n > 0; --n) s += alphabet[pick(std::size(alphabet))];
    strings[r] = s;
    string_valid[r] = chance(0.05) ? 0 : 1;
    bools[r] = chance(0.5) ? 1 : 0;
    stamps[r] =
        static_cast<int64_t>(pick(2'000'000'000)) * 1'000'000 + static_cast<int64_t>(pick(1000));
    late[r] = r + 1 == rows ? 0.5 : static_cast<double>(pick(100));
    late_valid[r] = r < rows / 2 ? 0 : 1;  // all null in the first half

    std::string line;
    line += field(std::to_string(ints[r]), false) + ",";
    line += (float_valid[r] ? field(fmt::format("{}", floats[r]), false) : "") + ",";
    line +=
        (string_valid[r] ? field(s, s.find_first_of(",\"\r\n") != std::string::npos) : "NA") + ",";
    line += field(bools[r] ? "True" : "false", false) + ",";
    line += field(FormatTimestamp(stamps[r]), false) + ",";
    line += late_valid[r] ? fmt::format("{}", late[r]) : "";
    text += line + (chance(0.3) ? "\r\n" : "\n");
    if (chance(0.02)) text += "\n";
  }
  auto expected = Table::Make({
      Column::Int64("int", ints),
      Column::Float64("float", floats, float_valid),
      Column::String("str", strings, string_valid),
      Column::Bool("bool", bools),
      Column::Timestamp("ts", stamps),
      Column::Float64("late", late, late_valid),
  });
  return {text, std::move(expected).value()};
}

}  // namespace sluice::table
