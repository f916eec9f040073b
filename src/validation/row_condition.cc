#include "validation/row_condition.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>
#include <variant>

#include "base/strings.h"

namespace sluice::validation {

namespace {

enum class Op { kEq, kNe, kLt, kLe, kGt, kGe };

// A literal: a number, text or boolean.
using Literal = std::variant<double, std::string, bool>;

struct Operand {
  bool is_column = false;
  std::string column;
  Literal literal;
};

enum class TokenKind { kName, kQuoted, kBackticked, kNumber, kSymbol, kEnd };

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;
  double number = 0;
  size_t position = 0;  // 0-based offset in the text
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

struct RowCondition::Node {
  enum class Kind { kOr, kAnd, kNot, kCompare, kIn, kIsNull } kind;
  std::vector<std::shared_ptr<const Node>> children;
  Op op = Op::kEq;
  Operand left, right;
  std::vector<Literal> set;
  bool negate = false;  // kIn: not in; kIsNull: is not null
};

namespace {

using Node = RowCondition::Node;
using NodePtr = std::shared_ptr<const Node>;

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<NodePtr> ParseAll() {
    SLUICE_RETURN_IF_ERROR(Tokenize());
    if (tokens_.size() == 1) return Fail(tokens_[0], "expected a condition");
    SLUICE_ASSIGN_OR_RETURN(NodePtr root, ParseOr());
    if (Peek().kind != TokenKind::kEnd) return Fail(Peek(), "unexpected");
    return root;
  }

  std::vector<std::string> columns;

 private:
  Status Tokenize() {
    size_t i = 0;
    while (i < text_.size()) {
      const char c = text_[i];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
        continue;
      }
      Token token;
      token.position = i;
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t end = i;
        while (end < text_.size() &&
               (std::isalnum(static_cast<unsigned char>(text_[end])) || text_[end] == '_')) {
          ++end;
        }
        token.kind = TokenKind::kName;
        token.text = text_.substr(i, end - i);
        i = end;
      } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                 (c == '.' && i + 1 < text_.size() &&
                  std::isdigit(static_cast<unsigned char>(text_[i + 1]))) ||
                 (c == '-' && i + 1 < text_.size() && NumberMayFollow() &&
                  (std::isdigit(static_cast<unsigned char>(text_[i + 1])) ||
                   text_[i + 1] == '.'))) {
        double value = 0;
        auto [end, ec] = std::from_chars(text_.data() + i, text_.data() + text_.size(), value);
        if (ec != std::errc()) {
          return InvalidArgument("row_condition '{}': bad number at character {}", text_, i + 1);
        }
        token.kind = TokenKind::kNumber;
        token.number = value;
        token.text = std::string(text_.data() + i, end);
        i = static_cast<size_t>(end - text_.data());
      } else if (c == '"' || c == '\'' || c == '`') {
        std::string value;
        size_t j = i + 1;
        bool closed = false;
        for (; j < text_.size(); ++j) {
          if (text_[j] == '\\' && c != '`' && j + 1 < text_.size()) {
            value += text_[++j];
          } else if (text_[j] == c) {
            closed = true;
            break;
          } else {
            value += text_[j];
          }
        }
        if (!closed) {
          return InvalidArgument("row_condition '{}': unclosed {} starting at character {}", text_,
                                 c, i + 1);
        }
        token.kind = c == '`' ? TokenKind::kBackticked : TokenKind::kQuoted;
        token.text = value;
        i = j + 1;
      } else {
        static constexpr std::string_view kTwo[] = {"==", "!=", "<=", ">="};
        std::string_view rest = text_.substr(i);
        token.kind = TokenKind::kSymbol;
        for (std::string_view two : kTwo) {
          if (rest.starts_with(two)) token.text = two;
        }
        if (token.text.empty()) {
          if (std::string_view("<>()[],&|~.").find(c) == std::string_view::npos) {
            return InvalidArgument("row_condition '{}': unexpected '{}' at character {}", text_, c,
                                   i + 1);
          }
          token.text = std::string(1, c);
        }
        i += token.text.size();
      }
      tokens_.push_back(std::move(token));
    }
    Token end;
    end.position = text_.size();
    tokens_.push_back(end);
    return Status::Ok();
  }

  // A '-' starts a number unless it follows a value (where it would be subtraction, which the
  // language does not have).
  bool NumberMayFollow() const {
    if (tokens_.empty()) return true;
    const Token& last = tokens_.back();
    return last.kind == TokenKind::kSymbol && last.text != ")" && last.text != "]";
  }

  const Token& Peek(size_t ahead = 0) const {
    return tokens_[std::min(next_ + ahead, tokens_.size() - 1)];
  }
  const Token& Take() { return tokens_[std::min(next_++, tokens_.size() - 1)]; }
  bool IsWord(const Token& t, std::string_view word) const {
    return t.kind == TokenKind::kName && Lower(t.text) == word;
  }
  bool IsSymbol(const Token& t, std::string_view symbol) const {
    return t.kind == TokenKind::kSymbol && t.text == symbol;
  }

  Status Fail(const Token& at, std::string_view what) const {
    if (at.kind == TokenKind::kEnd) {
      return InvalidArgument("row_condition '{}': {} at the end", text_,
                             what == "unexpected" ? "unexpected end" : what);
    }
    std::string shown = at.kind == TokenKind::kQuoted       ? "\"" + at.text + "\""
                        : at.kind == TokenKind::kBackticked ? "`" + at.text + "`"
                                                            : at.text;
    if (what == "unexpected") {
      return InvalidArgument("row_condition '{}': unexpected '{}' at character {}", text_, shown,
                             at.position + 1);
    }
    return InvalidArgument("row_condition '{}': {} at character {}, found '{}'", text_, what,
                           at.position + 1, shown);
  }

  Result<NodePtr> ParseOr() {
    SLUICE_ASSIGN_OR_RETURN(NodePtr left, ParseAnd());
    while (IsWord(Peek(), "or") || IsSymbol(Peek(), "|")) {
      Take();
      SLUICE_ASSIGN_OR_RETURN(NodePtr right, ParseAnd());
      auto node = std::make_shared<Node>();
      node->kind = Node::Kind::kOr;
      node->children = {left, right};
      left = node;
    }
    return left;
  }

  Result<NodePtr> ParseAnd() {
    SLUICE_ASSIGN_OR_RETURN(NodePtr left, ParseUnary());
    while (IsWord(Peek(), "and") || IsSymbol(Peek(), "&")) {
      Take();
      SLUICE_ASSIGN_OR_RETURN(NodePtr right, ParseUnary());
      auto node = std::make_shared<Node>();
      node->kind = Node::Kind::kAnd;
      node->children = {left, right};
      left = node;
    }
    return left;
  }

  Result<NodePtr> ParseUnary() {
    if (IsWord(Peek(), "not") || IsSymbol(Peek(), "~")) {
      Take();
      SLUICE_ASSIGN_OR_RETURN(NodePtr inner, ParseUnary());
      auto node = std::make_shared<Node>();
      node->kind = Node::Kind::kNot;
      node->children = {inner};
      return NodePtr(node);
    }
    if (IsSymbol(Peek(), "(")) {
      Take();
      SLUICE_ASSIGN_OR_RETURN(NodePtr inner, ParseOr());
      if (!IsSymbol(Peek(), ")")) return Fail(Peek(), "expected ')'");
      Take();
      return inner;
    }
    return ParseTest();
  }

  // A column reference, or nullopt when the next tokens are not one.
  Result<std::optional<std::string>> ParseColumn() {
    const Token& t = Peek();
    if (t.kind == TokenKind::kBackticked) {
      Take();
      return Remember(t.text);
    }
    if (t.kind != TokenKind::kName) return std::optional<std::string>();
    const std::string lower = Lower(t.text);
    if (lower == "true" || lower == "false" || lower == "and" || lower == "or" || lower == "not" ||
        lower == "in" || lower == "is" || lower == "null" || lower == "none") {
      return std::optional<std::string>();
    }
    if (t.text == "col" && IsSymbol(Peek(1), "(")) {
      Take();
      Take();
      const Token& name = Take();
      if (name.kind != TokenKind::kQuoted) return Fail(name, "expected a quoted column name");
      if (!IsSymbol(Peek(), ")")) return Fail(Peek(), "expected ')'");
      Take();
      return Remember(name.text);
    }
    Take();
    return Remember(t.text);
  }

  std::optional<std::string> Remember(const std::string& name) {
    if (std::find(columns.begin(), columns.end(), name) == columns.end()) columns.push_back(name);
    return name;
  }

  Result<Literal> ParseLiteral() {
    const Token& t = Peek();
    if (t.kind == TokenKind::kNumber) {
      Take();
      return Literal(t.number);
    }
    if (t.kind == TokenKind::kQuoted) {
      Take();
      return Literal(t.text);
    }
    if (IsWord(t, "true") || IsWord(t, "false")) {
      Take();
      return Literal(IsWord(t, "true"));
    }
    return Fail(t, "expected a value (a number, quoted text, true or false)");
  }

  Result<Operand> ParseOperand() {
    Operand operand;
    SLUICE_ASSIGN_OR_RETURN(std::optional<std::string> column, ParseColumn());
    if (column) {
      operand.is_column = true;
      operand.column = *column;
      return operand;
    }
    SLUICE_ASSIGN_OR_RETURN(operand.literal, ParseLiteral());
    return operand;
  }

  Result<NodePtr> ParseTest() {
    const Token& start = Peek();
    if (start.kind == TokenKind::kEnd) return Fail(start, "expected a condition");
    SLUICE_ASSIGN_OR_RETURN(Operand left, ParseOperand());
    auto node = std::make_shared<Node>();
    if (left.is_column) {
      // column.isnull() and friends.
      if (IsSymbol(Peek(), ".")) {
        Take();
        const Token& method = Take();
        const std::string name = method.kind == TokenKind::kName ? method.text : "";
        if (name != "isnull" && name != "notnull" && name != "isna" && name != "notna") {
          return Fail(method, "expected isnull(), notnull(), isna() or notna()");
        }
        if (!IsSymbol(Peek(), "(") || !IsSymbol(Peek(1), ")")) return Fail(Peek(), "expected '()'");
        Take();
        Take();
        node->kind = Node::Kind::kIsNull;
        node->left = left;
        node->negate = name == "notnull" || name == "notna";
        return NodePtr(node);
      }
      if (IsWord(Peek(), "is")) {
        Take();
        node->kind = Node::Kind::kIsNull;
        node->left = left;
        if (IsWord(Peek(), "not")) {
          Take();
          node->negate = true;
        }
        if (!IsWord(Peek(), "null") && !IsWord(Peek(), "none")) {
          return Fail(Peek(), "expected null");
        }
        Take();
        return NodePtr(node);
      }
      const bool negated_in = IsWord(Peek(), "not") && IsWord(Peek(1), "in");
      if (IsWord(Peek(), "in") || negated_in) {
        if (negated_in) Take();
        Take();
        node->kind = Node::Kind::kIn;
        node->left = left;
        node->negate = negated_in;
        if (!IsSymbol(Peek(), "[")) return Fail(Peek(), "expected '['");
        Take();
        while (!IsSymbol(Peek(), "]")) {
          SLUICE_ASSIGN_OR_RETURN(Literal value, ParseLiteral());
          node->set.push_back(std::move(value));
          if (IsSymbol(Peek(), ",")) {
            Take();
          } else if (!IsSymbol(Peek(), "]")) {
            return Fail(Peek(), "expected ',' or ']'");
          }
        }
        Take();
        return NodePtr(node);
      }
    }
    const Token& op = Peek();
    static constexpr std::pair<std::string_view, Op> kOps[] = {{"==", Op::kEq}, {"!=", Op::kNe},
                                                               {"<", Op::kLt},  {"<=", Op::kLe},
                                                               {">", Op::kGt},  {">=", Op::kGe}};
    bool found = false;
    for (const auto& [symbol, value] : kOps) {
      if (IsSymbol(op, symbol)) {
        node->op = value;
        found = true;
      }
    }
    if (!found) {
      return Fail(op, left.is_column ? "expected a comparison (==, !=, <, <=, >, >=)"
                                     : "expected a comparison");
    }
    Take();
    SLUICE_ASSIGN_OR_RETURN(Operand right, ParseOperand());
    if (!left.is_column && !right.is_column) {
      return Fail(start, "a comparison needs a column on one side");
    }
    node->kind = Node::Kind::kCompare;
    node->left = std::move(left);
    node->right = std::move(right);
    return NodePtr(node);
  }

  std::string_view text_;
  std::vector<Token> tokens_;
  size_t next_ = 0;
};

Op Mirror(Op op) {
  switch (op) {
    case Op::kLt:
      return Op::kGt;
    case Op::kLe:
      return Op::kGe;
    case Op::kGt:
      return Op::kLt;
    case Op::kGe:
      return Op::kLe;
    default:
      return op;
  }
}

template <typename A, typename B>
bool Apply(Op op, const A& a, const B& b) {
  switch (op) {
    case Op::kEq:
      return a == b;
    case Op::kNe:
      return a != b;
    case Op::kLt:
      return a < b;
    case Op::kLe:
      return a <= b;
    case Op::kGt:
      return a > b;
    case Op::kGe:
      return a >= b;
  }
  return false;
}

std::string_view OpText(Op op) {
  switch (op) {
    case Op::kEq:
      return "==";
    case Op::kNe:
      return "!=";
    case Op::kLt:
      return "<";
    case Op::kLe:
      return "<=";
    case Op::kGt:
      return ">";
    case Op::kGe:
      return ">=";
  }
  return "?";
}

bool IsNumeric(table::Type type) { return type != table::Type::kString; }

bool NullAt(const table::Column& c, size_t row) {
  return c.IsNull(row) || (c.type() == table::Type::kFloat64 && std::isnan(c.float64s()[row]));
}

// A literal as the number a numeric column compares with; nullopt when it has none.
std::optional<double> LiteralNumber(const Literal& literal, table::Type column_type) {
  if (const double* d = std::get_if<double>(&literal)) return *d;
  if (const bool* b = std::get_if<bool>(&literal)) return *b ? 1.0 : 0.0;
  if (column_type == table::Type::kTimestamp) {
    if (auto micros = table::ParseTimestamp(std::get<std::string>(literal))) {
      return static_cast<double>(*micros);
    }
  }
  return std::nullopt;
}

std::string LiteralText(const Literal& literal) {
  if (const double* d = std::get_if<double>(&literal)) return fmt::format("{}", *d);
  if (const bool* b = std::get_if<bool>(&literal)) return *b ? "true" : "false";
  return "\"" + std::get<std::string>(literal) + "\"";
}

class Evaluator {
 public:
  Evaluator(const table::Table& table, const std::string& text) : table_(table), text_(text) {}

  Result<std::vector<uint8_t>> Eval(const Node& node) {
    const size_t n = table_.num_rows();
    switch (node.kind) {
      case Node::Kind::kOr:
      case Node::Kind::kAnd: {
        SLUICE_ASSIGN_OR_RETURN(std::vector<uint8_t> a, Eval(*node.children[0]));
        SLUICE_ASSIGN_OR_RETURN(std::vector<uint8_t> b, Eval(*node.children[1]));
        for (size_t i = 0; i < n; ++i) {
          a[i] = node.kind == Node::Kind::kOr ? (a[i] | b[i]) : (a[i] & b[i]);
        }
        return a;
      }
      case Node::Kind::kNot: {
        SLUICE_ASSIGN_OR_RETURN(std::vector<uint8_t> a, Eval(*node.children[0]));
        for (uint8_t& v : a) v ^= 1;
        return a;
      }
      case Node::Kind::kIsNull: {
        SLUICE_ASSIGN_OR_RETURN(const table::Column* c, Column(node.left.column));
        std::vector<uint8_t> out(n);
        for (size_t i = 0; i < n; ++i) out[i] = NullAt(*c, i) != node.negate;
        return out;
      }
      case Node::Kind::kIn:
        return EvalIn(node);
      case Node::Kind::kCompare:
        return EvalCompare(node);
    }
    return Internal("row_condition: unknown node");
  }

 private:
  Result<const table::Column*> Column(const std::string& name) {
    const table::Column* c = table_.Find(name);
    if (c != nullptr) return c;
    std::vector<std::string> names = table_.ColumnNames();
    std::vector<std::string_view> views(names.begin(), names.end());
    std::string near = ClosestMatch(name, views);
    return NotFound("row_condition '{}': no column '{}'{}", text_, name,
                    near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near));
  }

  Result<std::vector<uint8_t>> EvalIn(const Node& node) {
    SLUICE_ASSIGN_OR_RETURN(const table::Column* c, Column(node.left.column));
    const size_t n = table_.num_rows();
    std::vector<uint8_t> out(n);
    for (size_t i = 0; i < n; ++i) {
      bool member = false;
      if (!NullAt(*c, i)) {
        for (const Literal& value : node.set) {
          SLUICE_ASSIGN_OR_RETURN(bool equal, Compare(*c, i, Op::kEq, value));
          if (equal) {
            member = true;
            break;
          }
        }
      }
      out[i] = member != node.negate;
    }
    return out;
  }

  // Column value at `row` (not null) `op` literal.
  Result<bool> Compare(const table::Column& c, size_t row, Op op, const Literal& literal) {
    if (c.type() == table::Type::kString) {
      const std::string* s = std::get_if<std::string>(&literal);
      if (s == nullptr) return TypeError(c, op, literal);
      return Apply(op, c.strings()[row], *s);
    }
    std::optional<double> number = LiteralNumber(literal, c.type());
    if (!number) return TypeError(c, op, literal);
    return Apply(op, c.AsDouble(row), *number);
  }

  Status TypeError(const table::Column& c, Op op, const Literal& literal) {
    return InvalidArgument("row_condition '{}': cannot compare {} column '{}' {} {}", text_,
                           table::TypeName(c.type()), c.name(), OpText(op), LiteralText(literal));
  }

  Result<std::vector<uint8_t>> EvalCompare(const Node& node) {
    const size_t n = table_.num_rows();
    std::vector<uint8_t> out(n);
    Operand left = node.left, right = node.right;
    Op op = node.op;
    if (!left.is_column) {
      std::swap(left, right);
      op = Mirror(op);
    }
    SLUICE_ASSIGN_OR_RETURN(const table::Column* a, Column(left.column));
    if (right.is_column) {
      SLUICE_ASSIGN_OR_RETURN(const table::Column* b, Column(right.column));
      if (IsNumeric(a->type()) != IsNumeric(b->type())) {
        return InvalidArgument(
            "row_condition '{}': cannot compare {} column '{}' with {} column '{}'", text_,
            table::TypeName(a->type()), a->name(), table::TypeName(b->type()), b->name());
      }
      for (size_t i = 0; i < n; ++i) {
        if (NullAt(*a, i) || NullAt(*b, i)) {
          out[i] = op == Op::kNe;
        } else if (a->type() == table::Type::kString) {
          out[i] = Apply(op, a->strings()[i], b->strings()[i]);
        } else {
          out[i] = Apply(op, a->AsDouble(i), b->AsDouble(i));
        }
      }
      return out;
    }
    // Check the types once, then compare without per-row errors.
    if (a->type() == table::Type::kString) {
      const std::string* s = std::get_if<std::string>(&right.literal);
      if (s == nullptr) return TypeError(*a, op, right.literal);
      const auto& values = a->strings();
      for (size_t i = 0; i < n; ++i)
        out[i] = NullAt(*a, i) ? op == Op::kNe : Apply(op, values[i], *s);
      return out;
    }
    std::optional<double> number = LiteralNumber(right.literal, a->type());
    if (!number) return TypeError(*a, op, right.literal);
    for (size_t i = 0; i < n; ++i) {
      out[i] = NullAt(*a, i) ? op == Op::kNe : Apply(op, a->AsDouble(i), *number);
    }
    return out;
  }

  const table::Table& table_;
  const std::string& text_;
};

}  // namespace

Result<RowCondition> RowCondition::Parse(std::string_view text) {
  Parser parser(text);
  SLUICE_ASSIGN_OR_RETURN(NodePtr root, parser.ParseAll());
  RowCondition condition;
  condition.text_ = std::string(text);
  condition.columns_ = std::move(parser.columns);
  condition.root_ = std::move(root);
  return condition;
}

Result<std::vector<uint8_t>> RowCondition::Evaluate(const table::Table& table) const {
  Evaluator evaluator(table, text_);
  return evaluator.Eval(*root_);
}

}  // namespace sluice::validation
