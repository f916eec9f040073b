#include "registry/search.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <set>
#include <variant>
#include <vector>

namespace sluice::registry {
namespace {

using storage::Value;

enum class Op { kEq, kNe, kLt, kLe, kGt, kGe, kLike, kILike, kIn, kNotIn };

enum class Kind { kString, kInteger, kRunId };  // run_id: strings plus IN / NOT IN

struct Attribute {
  std::string_view name;
  std::string_view column;
  Kind kind;
};

// What one entity (models or versions) allows, and how it maps onto the schema.
struct Grammar {
  std::string_view what;  // "registered models" / "model versions"
  std::vector<Attribute> filter_attributes;
  std::vector<std::pair<std::string_view, std::string_view>> order_keys;  // key -> column
  std::string_view tag_exists;  // EXISTS subquery prefix; the tag conditions follow
  std::string_view allowed_filter;
  std::string_view allowed_order;
};

const Grammar& ModelGrammar() {
  static const Grammar g{
      .what = "registered models",
      .filter_attributes = {{"name", "m.name", Kind::kString}},
      .order_keys = {{"name", "m.name"},
                     {"creation_timestamp", "m.creation_timestamp"},
                     {"timestamp", "m.creation_timestamp"},
                     {"last_updated_timestamp", "m.last_updated_timestamp"}},
      .tag_exists = "SELECT 1 FROM registered_model_tags t WHERE t.name = m.name",
      .allowed_filter = "filter on name or tags.<key> with = != LIKE ILIKE, clauses joined by AND",
      .allowed_order =
          "order by name, creation_timestamp (or timestamp) or last_updated_timestamp, "
          "then ASC or DESC",
  };
  return g;
}

const Grammar& VersionGrammar() {
  static const Grammar g{
      .what = "model versions",
      .filter_attributes = {{"name", "v.name", Kind::kString},
                            {"source_path", "v.source", Kind::kString},
                            {"run_id", "v.run_id", Kind::kRunId},
                            {"version_number", "v.version", Kind::kInteger}},
      .order_keys = {{"name", "v.name"},
                     {"version_number", "v.version"},
                     {"creation_timestamp", "v.creation_timestamp"},
                     {"timestamp", "v.creation_timestamp"},
                     {"last_updated_timestamp", "v.last_updated_timestamp"}},
      .tag_exists =
          "SELECT 1 FROM model_version_tags t WHERE t.name = v.name AND t.version = v.version",
      .allowed_filter =
          "filter on name, source_path, tags.<key> (= != LIKE ILIKE), run_id (= != IN NOT IN) "
          "or version_number (= != < <= > >=), clauses joined by AND",
      .allowed_order =
          "order by name, version_number, creation_timestamp or last_updated_timestamp, then "
          "ASC or DESC",
  };
  return g;
}

struct Clause {
  bool is_tag = false;
  std::string key;  // the tag key, or the attribute name
  Op op = Op::kEq;
  std::variant<std::string, int64_t, std::vector<std::string>> value;
};

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ||
         c == ':' || c == '/';
}

// A hand-written scanner: the grammar is small and errors must name the token at fault.
class Parser {
 public:
  Parser(std::string_view filter, const Grammar& grammar) : s_(filter), g_(grammar) {}

  Result<std::vector<Clause>> Parse() {
    std::vector<Clause> clauses;
    SkipSpace();
    if (pos_ == s_.size()) return clauses;
    while (true) {
      SLUICE_ASSIGN_OR_RETURN(Clause c, ParseClause());
      clauses.push_back(std::move(c));
      SkipSpace();
      if (pos_ == s_.size()) return clauses;
      std::string word = ReadWord();
      if (Upper(word) != "AND") {
        return Error(fmt::format("expected AND or the end after a clause, got '{}'",
                                 word.empty() ? std::string(s_.substr(pos_, 1)) : word));
      }
    }
  }

 private:
  Status Error(std::string_view what) const {
    return InvalidArgument("invalid filter '{}' for {}: {}; {}", s_, g_.what, what,
                           g_.allowed_filter);
  }

  void SkipSpace() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }

  std::string ReadWord() {
    size_t start = pos_;
    while (pos_ < s_.size() && IsWordChar(s_[pos_])) ++pos_;
    return std::string(s_.substr(start, pos_ - start));
  }

  // A quoted string ('...', "..." or `...`); `quote` is the opening character at pos_.
  Result<std::string> ReadQuoted() {
    char quote = s_[pos_];
    size_t end = s_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) {
      return Error(fmt::format("unterminated quote at '{}'", s_.substr(pos_)));
    }
    std::string out(s_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return out;
  }

  Result<Clause> ParseClause() {
    SkipSpace();
    Clause c;
    size_t start = pos_;
    // The identifier: `name`, `attributes.name`, `tags.key`, tags.`quoted key`.
    size_t word_start = pos_;
    while (pos_ < s_.size() &&
           (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) {
      ++pos_;
    }
    std::string head(s_.substr(word_start, pos_ - word_start));
    std::string lower_head = head;
    for (char& ch : lower_head)
      ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    bool has_dot = pos_ < s_.size() && s_[pos_] == '.';
    if (has_dot && (lower_head == "tags" || lower_head == "tag")) {
      ++pos_;
      c.is_tag = true;
      if (pos_ < s_.size() && (s_[pos_] == '`' || s_[pos_] == '"')) {
        SLUICE_ASSIGN_OR_RETURN(c.key, ReadQuoted());
      } else {
        c.key = ReadWord();
      }
      if (c.key.empty()) return Error("a tag key is missing after 'tags.'");
    } else {
      if (has_dot &&
          (lower_head == "attributes" || lower_head == "attribute" || lower_head == "attr")) {
        ++pos_;
        head = ReadWord();
      } else if (has_dot) {
        pos_ = start;
        head = ReadWord();
      }
      if (head.empty()) {
        return Error(fmt::format("expected an identifier at '{}'", s_.substr(start)));
      }
      c.key = head;
    }
    const Attribute* attribute = nullptr;
    if (!c.is_tag) {
      for (const Attribute& a : g_.filter_attributes) {
        if (a.name == c.key) attribute = &a;
      }
      if (attribute == nullptr) return Error(fmt::format("unknown key '{}'", c.key));
    }
    std::string identifier(s_.substr(start, pos_ - start));

    // The operator.
    SkipSpace();
    std::string op_text;
    if (pos_ < s_.size() &&
        (s_[pos_] == '=' || s_[pos_] == '!' || s_[pos_] == '<' || s_[pos_] == '>')) {
      size_t op_start = pos_;
      while (pos_ < s_.size() &&
             (s_[pos_] == '=' || s_[pos_] == '!' || s_[pos_] == '<' || s_[pos_] == '>')) {
        ++pos_;
      }
      op_text = s_.substr(op_start, pos_ - op_start);
    } else {
      op_text = Upper(ReadWord());
      if (op_text == "NOT") {
        SkipSpace();
        std::string next = Upper(ReadWord());
        op_text = "NOT " + next;
      }
    }
    static const std::pair<std::string_view, Op> kOps[] = {
        {"=", Op::kEq},  {"!=", Op::kNe},        {"<", Op::kLt},      {"<=", Op::kLe},
        {">", Op::kGt},  {">=", Op::kGe},        {"LIKE", Op::kLike}, {"ILIKE", Op::kILike},
        {"IN", Op::kIn}, {"NOT IN", Op::kNotIn},
    };
    std::optional<Op> op;
    for (const auto& [text, value] : kOps) {
      if (text == op_text) op = value;
    }
    if (!op) {
      return Error(fmt::format("unknown operator '{}' after '{}'", op_text, identifier));
    }
    c.op = *op;
    Kind kind = c.is_tag ? Kind::kString : attribute->kind;
    bool allowed = false;
    switch (kind) {
      case Kind::kString:
        allowed = c.op == Op::kEq || c.op == Op::kNe || c.op == Op::kLike || c.op == Op::kILike;
        break;
      case Kind::kRunId:
        allowed = c.op == Op::kEq || c.op == Op::kNe || c.op == Op::kIn || c.op == Op::kNotIn;
        break;
      case Kind::kInteger:
        allowed = c.op != Op::kLike && c.op != Op::kILike && c.op != Op::kIn && c.op != Op::kNotIn;
        break;
    }
    if (!allowed) {
      return Error(fmt::format("operator '{}' is not allowed on '{}'", op_text, identifier));
    }

    // The value.
    SkipSpace();
    if (pos_ == s_.size()) return Error(fmt::format("a value is missing after '{}'", op_text));
    if (c.op == Op::kIn || c.op == Op::kNotIn) {
      if (s_[pos_] != '(') {
        return Error(fmt::format("expected '(' after '{}', got '{}'", op_text, s_.substr(pos_)));
      }
      ++pos_;
      std::vector<std::string> values;
      while (true) {
        SkipSpace();
        if (pos_ < s_.size() && (s_[pos_] == '\'' || s_[pos_] == '"')) {
          SLUICE_ASSIGN_OR_RETURN(std::string v, ReadQuoted());
          values.push_back(std::move(v));
        } else {
          return Error(
              fmt::format("expected a quoted string in the list at '{}'", s_.substr(pos_)));
        }
        SkipSpace();
        if (pos_ < s_.size() && s_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (pos_ < s_.size() && s_[pos_] == ')') {
          ++pos_;
          break;
        }
        return Error(fmt::format("expected ',' or ')' in the list at '{}'", s_.substr(pos_)));
      }
      c.value = std::move(values);
      return c;
    }
    std::string literal;
    bool quoted = s_[pos_] == '\'' || s_[pos_] == '"';
    if (quoted) {
      SLUICE_ASSIGN_OR_RETURN(literal, ReadQuoted());
    } else {
      literal = ReadWord();
      if (literal.empty()) {
        return Error(
            fmt::format("expected a value after '{}', got '{}'", op_text, s_.substr(pos_)));
      }
    }
    if (kind == Kind::kInteger) {
      int64_t number = 0;
      auto [end, ec] = std::from_chars(literal.data(), literal.data() + literal.size(), number);
      if (literal.empty() || ec != std::errc() || end != literal.data() + literal.size()) {
        return Error(fmt::format("'{}' is not an integer version_number", literal));
      }
      c.value = number;
    } else {
      if (!quoted) {
        return Error(fmt::format("value '{}' must be a quoted string", literal));
      }
      c.value = std::move(literal);
    }
    return c;
  }

  std::string_view s_;
  const Grammar& g_;
  size_t pos_ = 0;
};

std::string_view SqlOp(Op op) {
  switch (op) {
    case Op::kEq:
      return "=";
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
    case Op::kLike:
      return "LIKE";
    case Op::kILike:
      return "ILIKE";
    case Op::kIn:
      return "IN";
    case Op::kNotIn:
      return "NOT IN";
  }
  return "=";
}

// `<column> <op> <value>`. LIKE is case-sensitive on every connection, so ILIKE lowers both.
void AppendComparison(std::string& sql, std::vector<Value>& params, std::string_view column,
                      const Clause& c) {
  if (const auto* list = std::get_if<std::vector<std::string>>(&c.value)) {
    sql += fmt::format("{} {} (", column, SqlOp(c.op));
    for (size_t i = 0; i < list->size(); ++i) {
      sql += i == 0 ? "?" : ", ?";
      params.emplace_back((*list)[i]);
    }
    sql += ")";
    return;
  }
  if (c.op == Op::kILike) {
    sql += fmt::format("LOWER({}) LIKE LOWER(?)", column);
  } else {
    sql += fmt::format("{} {} ?", column, SqlOp(c.op));
  }
  if (const auto* n = std::get_if<int64_t>(&c.value)) {
    params.emplace_back(*n);
  } else {
    params.emplace_back(std::get<std::string>(c.value));
  }
}

constexpr std::string_view kPromptTag = "mlflow.prompt.is_prompt";

Result<Sql> Compile(const Grammar& g, std::string_view select, std::string_view filter,
                    std::span<const std::string> order_by, std::string_view default_order,
                    std::string_view tie_break, int64_t limit, int64_t offset) {
  Parser parser(filter, g);
  SLUICE_ASSIGN_OR_RETURN(std::vector<Clause> clauses, parser.Parse());
  Sql out;
  out.text = select;
  for (size_t i = 0; i < clauses.size(); ++i) {
    const Clause& c = clauses[i];
    out.text += i == 0 ? " WHERE " : " AND ";
    if (c.is_tag) {
      // MLflow 3 clients append tags.`mlflow.prompt.is_prompt` != 'true' to mean "not a
      // prompt": a model without the tag must match, unlike the usual "missing never matches".
      bool not_prompt = c.key == kPromptTag && c.op == Op::kNe;
      out.text +=
          fmt::format("{}EXISTS ({} AND t.key = ? AND ", not_prompt ? "NOT " : "", g.tag_exists);
      out.params.emplace_back(c.key);
      if (not_prompt) {
        Clause eq = c;
        eq.op = Op::kEq;
        AppendComparison(out.text, out.params, "t.value", eq);
      } else {
        AppendComparison(out.text, out.params, "t.value", c);
      }
      out.text += ")";
    } else {
      std::string_view column;
      for (const Attribute& a : g.filter_attributes) {
        if (a.name == c.key) column = a.column;
      }
      AppendComparison(out.text, out.params, column, c);
    }
  }
  std::vector<std::string> terms;
  std::set<std::string_view> seen_columns;
  for (const std::string& item : order_by) {
    std::string_view rest = item;
    auto trim = [](std::string_view s) {
      while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
      while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
      return s;
    };
    rest = trim(rest);
    std::string_view key = rest.substr(0, rest.find_first_of(" \t"));
    std::string direction(trim(rest.substr(key.size())));
    direction = Upper(direction);
    if (key.starts_with("attributes.")) key.remove_prefix(std::string_view("attributes.").size());
    std::string_view column;
    for (const auto& [name, col] : g.order_keys) {
      if (name == key) column = col;
    }
    if (column.empty()) {
      return InvalidArgument("invalid order_by '{}' for {}: unknown key '{}'; {}", item, g.what,
                             key, g.allowed_order);
    }
    if (!direction.empty() && direction != "ASC" && direction != "DESC") {
      return InvalidArgument("invalid order_by '{}' for {}: unknown direction '{}'; {}", item,
                             g.what, direction, g.allowed_order);
    }
    if (!seen_columns.insert(column).second) {
      return InvalidArgument("invalid order_by '{}' for {}: key '{}' is ordered by twice", item,
                             g.what, key);
    }
    terms.push_back(fmt::format("{} {}", column, direction.empty() ? "ASC" : direction));
  }
  out.text += " ORDER BY ";
  if (terms.empty()) {
    out.text += default_order;
  } else {
    for (const std::string& t : terms) out.text += t + ", ";
    out.text += tie_break;
  }
  out.text += " LIMIT ? OFFSET ?";
  out.params.emplace_back(limit);
  out.params.emplace_back(offset);
  return out;
}

}  // namespace

Result<Sql> CompileModelSearch(std::string_view filter, std::span<const std::string> order_by,
                               int64_t limit, int64_t offset) {
  return Compile(ModelGrammar(), "SELECT m.name FROM registered_models m", filter, order_by,
                 "m.name ASC", "m.name ASC", limit, offset);
}

Result<Sql> CompileVersionSearch(std::string_view filter, std::span<const std::string> order_by,
                                 int64_t limit, int64_t offset) {
  return Compile(VersionGrammar(), "SELECT v.name, v.version FROM model_versions v", filter,
                 order_by, "v.name ASC, v.version DESC", "v.name ASC, v.version DESC", limit,
                 offset);
}

}  // namespace sluice::registry
