// row_condition: the rows an expectation looks at, as a small, safe expression language that
// covers what Great Expectations suites write with pandas' `query` syntax and GX's own `col("x")`
// syntax. Nothing is executed: the text is parsed into a tree of comparisons.
//
//   age > 18                      plan == "pro" and not (country != 'US')
//   `monthly fee` >= 9.99         col("plan") == "pro" | col("age") < 30
//   plan in ["pro", "team"]       score.notnull()   score is not null
//
// Grammar (keywords in any case; `&`, `|`, `~` are and, or, not):
//   expr    := and ('or' and)*
//   and     := unary ('and' unary)*
//   unary   := 'not' unary | '(' expr ')' | test
//   test    := operand op operand | column ['not'] 'in' '[' literal (',' literal)* ']'
//            | column '.isnull()' | column '.notnull()' | column '.isna()' | column '.notna()'
//            | column 'is' ['not'] ('null' | 'None')
//   op      := '==' | '!=' | '<' | '<=' | '>' | '>='
//   operand := column | literal
//   column  := name | `any text` | col("any text")
//   literal := number | "text" | 'text' | true | false (True, False)
// Semantics are pandas': a null never satisfies ==, <, <=, >, >= or in, and always satisfies !=
// and not in. Numbers compare with numeric, boolean (0/1) and timestamp (microseconds) columns;
// text compares with string columns, and with timestamp columns when it is an ISO-8601 time.
//
// Thread safety: a parsed condition is immutable; Evaluate may run on many threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "table/table.h"

namespace sluice::validation {

class RowCondition {
 public:
  // kInvalidArgument naming the text, the position (1-based character) and what was expected:
  // "row_condition 'age >> 5': unexpected '>' at character 6".
  static Result<RowCondition> Parse(std::string_view text);

  const std::string& text() const { return text_; }
  // The columns it reads, in order of first mention.
  const std::vector<std::string>& columns() const { return columns_; }

  // One byte per row of `table`, 1 where the condition holds. kNotFound for a column the table
  // lacks (naming the closest); kInvalidArgument for a comparison of incompatible types.
  Result<std::vector<uint8_t>> Evaluate(const table::Table& table) const;

  struct Node;

 private:
  std::string text_;
  std::vector<std::string> columns_;
  std::shared_ptr<const Node> root_;
};

}  // namespace sluice::validation
