#include "tracking/search.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <system_error>

#include <fmt/format.h>

namespace sluice::tracking {
namespace {

// ---------------------------------------------------------------------------------------------
// Grammar tables
// ---------------------------------------------------------------------------------------------

// One run or experiment attribute as a user may write it. Aliases share a canonical name;
// `listed` keeps spelling variants ("Run Name", "Created") out of error messages.
struct AttributeSpec {
  std::string_view name;
  std::string_view canonical;
  bool numeric;
  bool filterable;
  bool orderable;
  bool listed;
};

constexpr AttributeSpec kRunAttributes[] = {
    {"run_id", "run_id", false, true, true, true},
    {"run_name", "run_name", false, true, true, true},
    {"status", "status", false, true, true, true},
    {"user_id", "user_id", false, true, true, true},
    {"artifact_uri", "artifact_uri", false, true, true, true},
    {"start_time", "start_time", true, true, true, true},
    {"end_time", "end_time", true, true, true, true},
    {"created", "start_time", true, true, true, true},
    {"Created", "start_time", true, true, true, false},
    {"run name", "run_name", false, true, true, false},
    {"Run name", "run_name", false, true, true, false},
    {"Run Name", "run_name", false, true, true, false},
};

constexpr AttributeSpec kExperimentAttributes[] = {
    {"name", "name", false, true, true, true},
    {"experiment_id", "experiment_id", true, false, true, true},
    {"creation_time", "creation_time", true, true, true, true},
    {"last_update_time", "last_update_time", true, true, true, true},
};

constexpr std::string_view kDatasetFields[] = {"name", "digest", "context"};

constexpr Op kNumericOps[] = {Op::kEq, Op::kNe, Op::kLt, Op::kLe, Op::kGt, Op::kGe};
constexpr Op kKeyValueOps[] = {Op::kEq, Op::kNe, Op::kLike, Op::kILike};
constexpr Op kStringListOps[] = {Op::kEq,    Op::kNe, Op::kLike,
                                 Op::kILike, Op::kIn, Op::kNotIn};

struct EntityName {
  std::string_view name;
  Entity entity;
};

constexpr EntityName kEntityNames[] = {
    {"metrics", Entity::kMetric},       {"metric", Entity::kMetric},
    {"params", Entity::kParam},         {"param", Entity::kParam},
    {"parameters", Entity::kParam},     {"parameter", Entity::kParam},
    {"tags", Entity::kTag},             {"tag", Entity::kTag},
    {"attributes", Entity::kAttribute}, {"attribute", Entity::kAttribute},
    {"attr", Entity::kAttribute},       {"run", Entity::kAttribute},
    {"datasets", Entity::kDataset},     {"dataset", Entity::kDataset},
};

// What one search (runs or experiments) accepts.
struct Grammar {
  std::span<const AttributeSpec> attributes;
  std::span<const Entity> filter_entities;
  std::span<const Entity> order_entities;
  std::string_view filter_entity_list;  // for messages
  std::string_view order_entity_list;
  std::span<const Op> string_attribute_ops;
};

constexpr Entity kRunFilterEntities[] = {Entity::kMetric, Entity::kParam, Entity::kTag,
                                         Entity::kAttribute, Entity::kDataset};
constexpr Entity kRunOrderEntities[] = {Entity::kMetric, Entity::kParam, Entity::kTag,
                                        Entity::kAttribute};
constexpr Entity kExperimentFilterEntities[] = {Entity::kAttribute, Entity::kTag};
constexpr Entity kExperimentOrderEntities[] = {Entity::kAttribute};

constexpr Grammar kRunGrammar = {
    kRunAttributes,
    kRunFilterEntities,
    kRunOrderEntities,
    "metrics, params, tags, attributes or datasets",
    "metrics, params, tags or attributes",
    kStringListOps,
};

constexpr Grammar kExperimentGrammar = {
    kExperimentAttributes,
    kExperimentFilterEntities,
    kExperimentOrderEntities,
    "attributes or tags",
    "attributes",
    kKeyValueOps,
};

std::string JoinOps(std::span<const Op> ops) {
  std::string out;
  for (Op op : ops) {
    if (!out.empty()) out += ", ";
    out += OpName(op);
  }
  return out;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool IsWordChar(char c) {
  auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || c == '_' || u >= 0x80;
}

// Unquoted keys may also hold the separators MLflow allows in keys (except space).
bool IsKeyChar(char c) { return IsWordChar(c) || c == '.' || c == '-' || c == '/'; }

bool IsOperatorChar(char c) { return std::string_view("=!<>~").find(c) != std::string_view::npos; }

std::optional<Op> OpFromText(std::string_view text) {
  static constexpr std::pair<std::string_view, Op> kOps[] = {
      {"=", Op::kEq},       {"!=", Op::kNe},       {"<", Op::kLt},  {"<=", Op::kLe},
      {">", Op::kGt},       {">=", Op::kGe},       {"LIKE", Op::kLike},
      {"ILIKE", Op::kILike}, {"IN", Op::kIn},      {"NOT IN", Op::kNotIn},
  };
  for (const auto& [name, op] : kOps) {
    if (name == text) return op;
  }
  return std::nullopt;
}

// A key as written: `metrics.auc`, ``tags.`mlflow.runName` ``, `"run name"`, `status`.
struct Identifier {
  std::optional<std::string> entity;  // absent: an attribute
  std::string key;
  std::string_view raw;
};

// A key resolved against a grammar.
struct Target {
  Entity entity;
  std::string key;  // canonical
  const AttributeSpec* attribute = nullptr;
};

// ---------------------------------------------------------------------------------------------
// Parser: a cursor over one filter string or one order_by item. Every error names the input
// (`prefix_`), the offending token and what would have been accepted.
// ---------------------------------------------------------------------------------------------
class Parser {
 public:
  Parser(std::string_view text, std::string prefix, const Grammar& grammar)
      : text_(text), prefix_(std::move(prefix)), grammar_(grammar) {}

  Result<std::vector<Clause>> ParseFilter();
  Result<OrderKey> ParseOrderItem();

 private:
  enum class Purpose { kFilter, kOrder };

  template <typename... Args>
  Status Error(fmt::format_string<Args...> format, Args&&... args) const {
    return InvalidArgument("{}: {}", prefix_, fmt::format(format, std::forward<Args>(args)...));
  }

  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  void SkipSpace() {
    while (!AtEnd() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  std::string_view ReadWhile(bool (*pred)(char)) {
    size_t start = pos_;
    while (!AtEnd() && pred(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }
  // The next token as a user would see it, for messages; does not move the cursor.
  std::string DescribeNext() const;

  Result<std::string> ReadQuoted(std::string_view what);
  Result<Identifier> ParseIdentifier();
  Result<Target> Resolve(const Identifier& id, Purpose purpose) const;
  Result<Clause> ParseClause();
  Result<Op> ParseComparator(const Target& target, std::string_view lhs,
                             std::span<const Op> allowed);
  Result<double> ParseNumber(std::string_view after, bool integer);
  Result<std::string> ParseString(std::string_view after);
  Result<std::vector<std::string>> ParseList(std::string_view after);

  std::string_view text_;
  std::string prefix_;
  const Grammar& grammar_;
  size_t pos_ = 0;
};

std::string Parser::DescribeNext() const {
  if (AtEnd()) return "the end of the filter";
  size_t end = pos_;
  char c = text_[pos_];
  if (c == '\'' || c == '"' || c == '`') {
    end = text_.find(c, pos_ + 1);
    end = end == std::string_view::npos ? text_.size() : end + 1;
  } else if (IsKeyChar(c) || c == '+') {
    while (end < text_.size() && (IsKeyChar(text_[end]) || text_[end] == '+')) ++end;
  } else if (IsOperatorChar(c)) {
    while (end < text_.size() && IsOperatorChar(text_[end])) ++end;
  } else {
    ++end;
  }
  return fmt::format("'{}'", text_.substr(pos_, end - pos_));
}

// Reads a quoted run at the cursor; a doubled quote character stands for itself.
Result<std::string> Parser::ReadQuoted(std::string_view what) {
  size_t start = pos_;
  char quote = text_[pos_++];
  std::string out;
  while (!AtEnd()) {
    char c = text_[pos_++];
    if (c != quote) {
      out += c;
    } else if (Peek() == quote) {
      out += quote;
      ++pos_;
    } else {
      return out;
    }
  }
  return Error("unterminated {} starting at {}", what, text_.substr(start));
}

Result<Identifier> Parser::ParseIdentifier() {
  size_t start = pos_;
  Identifier id;
  std::string first;
  char c = Peek();
  if (c == '`' || c == '"') {
    SLUICE_ASSIGN_OR_RETURN(first, ReadQuoted("quoted key"));
  } else if (IsWordChar(c)) {
    first = std::string(ReadWhile(IsWordChar));
  } else {
    return Error("expected a key like metrics.auc or tags.`my tag`, got {}", DescribeNext());
  }
  if (Peek() != '.') {
    id.key = std::move(first);
  } else {
    ++pos_;
    id.entity = std::move(first);
    c = Peek();
    if (c == '`' || c == '"') {
      SLUICE_ASSIGN_OR_RETURN(id.key, ReadQuoted("quoted key"));
    } else {
      id.key = std::string(ReadWhile(IsKeyChar));
    }
    if (id.key.empty()) {
      return Error("missing key after '{}'", text_.substr(start, pos_ - start));
    }
  }
  id.raw = text_.substr(start, pos_ - start);
  return id;
}

Result<Target> Parser::Resolve(const Identifier& id, Purpose purpose) const {
  Target target{Entity::kAttribute, id.key};
  const auto& allowed =
      purpose == Purpose::kFilter ? grammar_.filter_entities : grammar_.order_entities;
  std::string_view allowed_list =
      purpose == Purpose::kFilter ? grammar_.filter_entity_list : grammar_.order_entity_list;
  if (id.entity) {
    auto it = std::find_if(std::begin(kEntityNames), std::end(kEntityNames),
                           [&](const EntityName& e) { return e.name == *id.entity; });
    if (it == std::end(kEntityNames) ||
        std::find(allowed.begin(), allowed.end(), it->entity) == allowed.end()) {
      if (purpose == Purpose::kOrder && it != std::end(kEntityNames)) {
        return Error("cannot order by {}; expected {}", it->name, allowed_list);
      }
      return Error("unknown entity '{}' in '{}'; expected {}", *id.entity, id.raw, allowed_list);
    }
    target.entity = it->entity;
  }
  if (target.entity == Entity::kDataset) {
    if (std::find(std::begin(kDatasetFields), std::end(kDatasetFields), id.key) ==
        std::end(kDatasetFields)) {
      return Error("unknown dataset field '{}'; expected one of name, digest, context", id.key);
    }
  }
  if (target.entity != Entity::kAttribute) return target;

  for (const AttributeSpec& a : grammar_.attributes) {
    bool usable = purpose == Purpose::kFilter ? a.filterable : a.orderable;
    if (usable && a.name == id.key) {
      target.key = std::string(a.canonical);
      target.attribute = &a;
      return target;
    }
  }
  std::string names;
  for (const AttributeSpec& a : grammar_.attributes) {
    bool usable = purpose == Purpose::kFilter ? a.filterable : a.orderable;
    if (!usable || !a.listed) continue;
    if (!names.empty()) names += ", ";
    names += a.name;
  }
  return Error("unknown attribute '{}'; expected one of {}", id.key, names);
}

Result<Op> Parser::ParseComparator(const Target& target, std::string_view lhs,
                                   std::span<const Op> allowed) {
  SkipSpace();
  std::string text;
  if (AtEnd()) {
    return Error("expected a comparator after '{}', got the end of the filter; expected one of {}",
                 lhs, JoinOps(allowed));
  }
  size_t start = pos_;
  if (IsOperatorChar(Peek())) {
    text = std::string(ReadWhile(IsOperatorChar));
  } else if (IsWordChar(Peek())) {
    text = Upper(ReadWhile(IsWordChar));
    if (text == "NOT") {
      size_t after_not = pos_;
      SkipSpace();
      if (Upper(ReadWhile(IsWordChar)) == "IN") {
        text = "NOT IN";
      } else {
        pos_ = after_not;
      }
    }
  } else {
    text = std::string(1, text_[pos_++]);
  }
  std::optional<Op> op = OpFromText(text);
  if (!op) {
    pos_ = start;
    return Error("unknown comparator {} after '{}'; expected one of {}", DescribeNext(), lhs,
                 JoinOps(allowed));
  }
  if (std::find(allowed.begin(), allowed.end(), *op) == allowed.end()) {
    std::string_view subject = target.entity == Entity::kMetric      ? "metrics"
                               : target.entity == Entity::kParam     ? "params"
                               : target.entity == Entity::kTag       ? "tags"
                               : target.entity == Entity::kDataset   ? "dataset fields"
                               : target.attribute->numeric           ? "numeric attributes"
                                                                     : "string attributes";
    return Error("comparator '{}' does not apply to {} ('{}'); expected one of {}", text, subject,
                 lhs, JoinOps(allowed));
  }
  return *op;
}

// sqlparse's number literals: an optional sign, digits with an optional fraction, an optional
// exponent. No inf or nan: those are not numbers in MLflow's grammar either.
Result<double> Parser::ParseNumber(std::string_view after, bool integer) {
  SkipSpace();
  std::string_view want = integer ? "an integer (milliseconds since the epoch)" : "a number";
  if (AtEnd() || Peek() == '\'' || Peek() == '"' || Peek() == '(') {
    return Error("expected {} after '{}', got {}", want, after, DescribeNext());
  }
  std::string description = DescribeNext();
  std::string_view token = ReadWhile([](char c) { return IsKeyChar(c) || c == '+'; });
  std::string_view body = token;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) body.remove_prefix(1);
  size_t i = 0;
  size_t digits = 0;
  auto digit_run = [&] {
    size_t n = 0;
    while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i]))) ++i, ++n;
    return n;
  };
  digits += digit_run();
  bool fraction = false;
  if (i < body.size() && body[i] == '.') {
    ++i;
    fraction = true;
    digits += digit_run();
  }
  bool exponent = false;
  bool valid = digits > 0;
  if (valid && i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
    ++i;
    if (i < body.size() && (body[i] == '+' || body[i] == '-')) ++i;
    exponent = true;
    valid = digit_run() > 0;
  }
  if (!valid || i != body.size() || (integer && (fraction || exponent))) {
    return Error("expected {} after '{}', got {}", want, after, description);
  }
  std::string_view parse = token[0] == '+' ? token.substr(1) : token;
  if (integer) {
    int64_t v = 0;
    auto [ptr, ec] = std::from_chars(parse.data(), parse.data() + parse.size(), v);
    if (ec != std::errc() || ptr != parse.data() + parse.size()) {
      return Error("integer {} after '{}' is out of range", description, after);
    }
    return static_cast<double>(v);
  }
  double v = 0;
  auto [ptr, ec] = std::from_chars(parse.data(), parse.data() + parse.size(), v);
  if (ec != std::errc() || ptr != parse.data() + parse.size()) {
    return Error("number {} after '{}' is out of range", description, after);
  }
  return v;
}

Result<std::string> Parser::ParseString(std::string_view after) {
  SkipSpace();
  if (Peek() != '\'' && Peek() != '"') {
    return Error("expected a quoted string like 'value' after '{}', got {}", after,
                 DescribeNext());
  }
  return ReadQuoted("string");
}

Result<std::vector<std::string>> Parser::ParseList(std::string_view after) {
  SkipSpace();
  if (Peek() != '(') {
    return Error("expected a list of quoted strings like ('a', 'b') after '{}', got {}", after,
                 DescribeNext());
  }
  ++pos_;
  std::vector<std::string> items;
  while (true) {
    SkipSpace();
    if (Peek() == ')' && !items.empty()) break;  // a trailing comma, as Python allows
    if (Peek() == ')') {
      return Error("the list after '{}' is empty; expected at least one quoted string", after);
    }
    if (Peek() != '\'' && Peek() != '"') {
      return Error("expected a quoted string in the list after '{}', got {}", after,
                   DescribeNext());
    }
    SLUICE_ASSIGN_OR_RETURN(std::string item, ReadQuoted("string"));
    items.push_back(std::move(item));
    SkipSpace();
    if (Peek() == ',') {
      ++pos_;
      continue;
    }
    if (Peek() == ')') break;
    return Error("expected ',' or ')' in the list after '{}', got {}", after, DescribeNext());
  }
  ++pos_;
  return items;
}

Result<Clause> Parser::ParseClause() {
  SkipSpace();
  size_t start = pos_;
  if (Peek() == '(') {
    return Error("parentheses are not supported; join clauses with AND");
  }
  if (AtEnd()) {
    return Error("expected a clause like metrics.auc > 0.8 after AND, got the end of the filter");
  }
  SLUICE_ASSIGN_OR_RETURN(Identifier id, ParseIdentifier());
  if (!id.entity && (Upper(id.key) == "OR" || Upper(id.key) == "NOT")) {
    return Error("{} is not supported; join clauses with AND", Upper(id.key));
  }
  SLUICE_ASSIGN_OR_RETURN(Target target, Resolve(id, Purpose::kFilter));

  std::span<const Op> allowed;
  switch (target.entity) {
    case Entity::kMetric:
      allowed = kNumericOps;
      break;
    case Entity::kParam:
    case Entity::kTag:
      allowed = kKeyValueOps;
      break;
    case Entity::kDataset:
      allowed = kStringListOps;
      break;
    case Entity::kAttribute:
      allowed = target.attribute->numeric ? std::span<const Op>(kNumericOps)
                                          : grammar_.string_attribute_ops;
      break;
  }
  SLUICE_ASSIGN_OR_RETURN(Op op, ParseComparator(target, id.raw, allowed));
  std::string after(text_.substr(start, pos_ - start));

  Clause clause{target.entity, std::move(target.key), op, 0.0};
  bool numeric = target.entity == Entity::kMetric ||
                 (target.entity == Entity::kAttribute && target.attribute->numeric);
  if (numeric) {
    SLUICE_ASSIGN_OR_RETURN(
        clause.value, ParseNumber(after, /*integer=*/target.entity == Entity::kAttribute));
  } else if (op == Op::kIn || op == Op::kNotIn) {
    SLUICE_ASSIGN_OR_RETURN(clause.value, ParseList(after));
  } else {
    SLUICE_ASSIGN_OR_RETURN(clause.value, ParseString(after));
  }
  return clause;
}

Result<std::vector<Clause>> Parser::ParseFilter() {
  std::vector<Clause> clauses;
  SkipSpace();
  if (AtEnd()) return clauses;
  while (true) {
    size_t start = pos_;
    SLUICE_ASSIGN_OR_RETURN(Clause clause, ParseClause());
    clauses.push_back(std::move(clause));
    std::string_view clause_text = text_.substr(start, pos_ - start);
    SkipSpace();
    if (AtEnd()) break;
    size_t before_word = pos_;
    std::string word = Upper(ReadWhile(IsWordChar));
    if (word == "AND" && (AtEnd() || !IsKeyChar(Peek()))) continue;
    if (word == "OR") return Error("OR is not supported; join clauses with AND");
    pos_ = before_word;
    return Error("expected AND or the end of the filter after '{}', got {}", clause_text,
                 DescribeNext());
  }
  return clauses;
}

Result<OrderKey> Parser::ParseOrderItem() {
  SkipSpace();
  if (AtEnd()) return Error("expected a key like metrics.auc, optionally followed by ASC or DESC");
  SLUICE_ASSIGN_OR_RETURN(Identifier id, ParseIdentifier());
  SLUICE_ASSIGN_OR_RETURN(Target target, Resolve(id, Purpose::kOrder));
  OrderKey key{target.entity, std::move(target.key), true};
  SkipSpace();
  if (AtEnd()) return key;
  std::string description = DescribeNext();
  std::string direction = Upper(ReadWhile(IsWordChar));
  if (direction != "ASC" && direction != "DESC") {
    return Error("expected ASC or DESC after '{}', got {}", id.raw, description);
  }
  key.ascending = direction == "ASC";
  SkipSpace();
  if (!AtEnd()) {
    return Error("unexpected {} after '{} {}'", DescribeNext(), id.raw, direction);
  }
  return key;
}

std::string_view EntityPrefix(Entity e) {
  switch (e) {
    case Entity::kMetric: return "metrics";
    case Entity::kParam: return "params";
    case Entity::kTag: return "tags";
    case Entity::kAttribute: return "attributes";
    case Entity::kDataset: return "datasets";
  }
  return "";
}

Result<std::vector<OrderKey>> ParseOrderBy(std::span<const std::string> items,
                                           const Grammar& grammar, bool reject_duplicates) {
  std::vector<OrderKey> keys;
  for (const std::string& item : items) {
    Parser parser(item, fmt::format("invalid order_by '{}'", item), grammar);
    SLUICE_ASSIGN_OR_RETURN(OrderKey key, parser.ParseOrderItem());
    if (reject_duplicates) {
      for (const OrderKey& seen : keys) {
        if (seen.entity == key.entity && seen.key == key.key) {
          return InvalidArgument("invalid order_by: {}.{} appears more than once",
                                 EntityPrefix(key.entity), key.key);
        }
      }
    }
    keys.push_back(std::move(key));
  }
  return keys;
}

// ---------------------------------------------------------------------------------------------
// SQL
// ---------------------------------------------------------------------------------------------

// Appends `<column> <op> <value>` with the value bound. LIKE is case-sensitive on every
// connection (SQLite: PRAGMA case_sensitive_like), so ILIKE lowers both sides.
void AppendComparison(std::string_view column, const Clause& clause, bool integer,
                      std::string& sql, std::vector<storage::Value>& params) {
  auto bind_scalar = [&] {
    if (const auto* d = std::get_if<double>(&clause.value)) {
      if (integer) {
        params.emplace_back(static_cast<int64_t>(*d));
      } else {
        params.emplace_back(*d);
      }
    } else {
      params.emplace_back(std::get<std::string>(clause.value));
    }
  };
  switch (clause.op) {
    case Op::kLike:
      sql += fmt::format("{} LIKE ?", column);
      bind_scalar();
      return;
    case Op::kILike:
      sql += fmt::format("LOWER({}) LIKE LOWER(?)", column);
      bind_scalar();
      return;
    case Op::kIn:
    case Op::kNotIn: {
      const auto& items = std::get<std::vector<std::string>>(clause.value);
      sql += fmt::format("{} {} (", column, clause.op == Op::kIn ? "IN" : "NOT IN");
      for (size_t i = 0; i < items.size(); ++i) {
        sql += i == 0 ? "?" : ", ?";
        params.emplace_back(items[i]);
      }
      sql += ")";
      return;
    }
    case Op::kNe:
      sql += fmt::format("{} <> ?", column);  // "!=" is not standard SQL
      bind_scalar();
      return;
    default:
      sql += fmt::format("{} {} ?", column, OpName(clause.op));
      bind_scalar();
      return;
  }
}

std::string_view RunColumn(std::string_view attribute) {
  if (attribute == "run_id") return "r.run_uuid";
  if (attribute == "run_name") return "r.name";
  if (attribute == "status") return "r.status";
  if (attribute == "user_id") return "r.user_id";
  if (attribute == "artifact_uri") return "r.artifact_uri";
  if (attribute == "start_time") return "r.start_time";
  if (attribute == "end_time") return "r.end_time";
  SLUICE_CHECK(false && "attribute not produced by the parser");
  return "";
}

bool RunColumnNullable(std::string_view attribute) {
  return attribute == "start_time" || attribute == "end_time";
}

std::string_view KeyValueTable(Entity e) {
  switch (e) {
    case Entity::kMetric: return "latest_metrics";
    case Entity::kParam: return "params";
    case Entity::kTag: return "tags";
    default: break;
  }
  SLUICE_CHECK(false && "not a key-value entity");
  return "";
}

std::string_view Direction(bool ascending) { return ascending ? "ASC" : "DESC"; }

}  // namespace

std::string_view OpName(Op op) {
  switch (op) {
    case Op::kEq: return "=";
    case Op::kNe: return "!=";
    case Op::kLt: return "<";
    case Op::kLe: return "<=";
    case Op::kGt: return ">";
    case Op::kGe: return ">=";
    case Op::kLike: return "LIKE";
    case Op::kILike: return "ILIKE";
    case Op::kIn: return "IN";
    case Op::kNotIn: return "NOT IN";
  }
  return "?";
}

Result<std::vector<Clause>> ParseRunFilter(std::string_view filter) {
  return Parser(filter, fmt::format("invalid filter '{}'", filter), kRunGrammar).ParseFilter();
}

Result<std::vector<OrderKey>> ParseRunOrderBy(std::span<const std::string> order_by) {
  return ParseOrderBy(order_by, kRunGrammar, /*reject_duplicates=*/true);
}

Result<std::vector<Clause>> ParseExperimentFilter(std::string_view filter) {
  return Parser(filter, fmt::format("invalid filter '{}'", filter), kExperimentGrammar)
      .ParseFilter();
}

Result<std::vector<OrderKey>> ParseExperimentOrderBy(std::span<const std::string> order_by) {
  // MLflow's experiment search accepts a repeated key; SQL orders by the first occurrence.
  return ParseOrderBy(order_by, kExperimentGrammar, /*reject_duplicates=*/false);
}

Result<ViewType> ParseViewType(std::string_view view_type) {
  std::string upper = Upper(view_type);
  if (upper.empty() || upper == "ACTIVE_ONLY" || upper == "1") return ViewType::kActiveOnly;
  if (upper == "DELETED_ONLY" || upper == "2") return ViewType::kDeletedOnly;
  if (upper == "ALL" || upper == "3") return ViewType::kAll;
  return InvalidArgument("invalid view type '{}'; expected ACTIVE_ONLY, DELETED_ONLY or ALL",
                         view_type);
}

// Filters on metrics, params and tags are inner joins on the (run_uuid, key) primary key, so a
// run without the key drops out and each run joins at most one row; SQLite may also drive the
// query from the (key, value) index. Dataset filters are EXISTS: a run may have many inputs.
// Order keys are left joins so that runs without the key stay, and sort last through
// NULLS LAST; a NaN metric (value NULL, is_nan 1) sorts after numbers and before missing keys.
// When an order key is also filtered on, the filter's join is reused: no NULLs are left then,
// and SQLite can read rows in index order and stop at the LIMIT.
Sql CompileRunSearch(const RunSearch& search) {
  std::string joins;
  std::vector<storage::Value> join_params;
  std::vector<std::string> where;
  std::vector<storage::Value> where_params;

  // Index of the filter join per (entity, key), for order keys to reuse.
  struct FilterJoin {
    Entity entity;
    std::string_view key;
    std::string alias;
    bool may_be_nan;
  };
  std::vector<FilterJoin> filter_joins;

  for (size_t i = 0; i < search.filter.size(); ++i) {
    const Clause& c = search.filter[i];
    std::string alias = fmt::format("f{}", i);
    switch (c.entity) {
      case Entity::kMetric:
      case Entity::kParam:
      case Entity::kTag: {
        joins += fmt::format(" JOIN {0} {1} ON {1}.run_uuid = r.run_uuid AND {1}.key = ? AND ",
                             KeyValueTable(c.entity), alias);
        join_params.emplace_back(c.key);
        std::string value = alias + ".value";
        if (c.entity == Entity::kMetric && c.op == Op::kNe) {
          // NaN is unequal to everything, as in MLflow's in-memory comparison.
          joins += fmt::format("({0}.value <> ? OR {0}.is_nan = 1)", alias);
          join_params.emplace_back(std::get<double>(c.value));
        } else {
          AppendComparison(value, c, /*integer=*/false, joins, join_params);
        }
        filter_joins.push_back({c.entity, c.key, alias,
                                c.entity == Entity::kMetric && c.op == Op::kNe});
        break;
      }
      case Entity::kAttribute: {
        std::string cond;
        AppendComparison(RunColumn(c.key), c, RunColumnNullable(c.key), cond, where_params);
        where.push_back(std::move(cond));
        break;
      }
      case Entity::kDataset: {
        std::string cond;
        if (c.key == "context") {
          cond = fmt::format(
              "EXISTS (SELECT 1 FROM run_input_tags {0} WHERE {0}.run_uuid = r.run_uuid AND "
              "{0}.key = ? AND ",
              alias);
          where_params.emplace_back("mlflow.data.context");
          AppendComparison(alias + ".value", c, false, cond, where_params);
        } else {
          cond = fmt::format(
              "EXISTS (SELECT 1 FROM run_inputs {0}i JOIN datasets {0}d ON {0}d.dataset_uuid = "
              "{0}i.dataset_uuid WHERE {0}i.run_uuid = r.run_uuid AND ",
              alias);
          AppendComparison(fmt::format("{}d.{}", alias, c.key), c, false, cond, where_params);
        }
        cond += ")";
        where.push_back(std::move(cond));
        break;
      }
    }
  }

  std::vector<std::string> order;
  bool has_start_time = false;
  bool has_run_id = false;
  for (size_t i = 0; i < search.order_by.size(); ++i) {
    const OrderKey& k = search.order_by[i];
    std::string_view dir = Direction(k.ascending);
    if (k.entity == Entity::kAttribute) {
      has_start_time |= k.key == "start_time";
      has_run_id |= k.key == "run_id";
      order.push_back(fmt::format("{} {}{}", RunColumn(k.key), dir,
                                  RunColumnNullable(k.key) ? " NULLS LAST" : ""));
      continue;
    }
    auto reuse = std::find_if(filter_joins.begin(), filter_joins.end(), [&](const FilterJoin& j) {
      return j.entity == k.entity && j.key == k.key;
    });
    if (reuse != filter_joins.end()) {
      order.push_back(fmt::format("{}.value {}{}", reuse->alias, dir,
                                  reuse->may_be_nan ? " NULLS LAST" : ""));
      continue;
    }
    std::string alias = fmt::format("o{}", i);
    joins += fmt::format(" LEFT JOIN {0} {1} ON {1}.run_uuid = r.run_uuid AND {1}.key = ?",
                         KeyValueTable(k.entity), alias);
    join_params.emplace_back(k.key);
    order.push_back(fmt::format("{}.value {} NULLS LAST", alias, dir));
    if (k.entity == Entity::kMetric) {
      order.push_back(fmt::format("{}.is_nan DESC NULLS LAST", alias));
    }
  }
  if (!has_start_time) order.push_back("r.start_time DESC NULLS LAST");
  if (!has_run_id) order.push_back("r.run_uuid ASC");

  Sql sql;
  sql.text = "SELECT r.run_uuid FROM runs r" + joins;
  sql.params = std::move(join_params);
  if (search.experiment_ids.empty()) {
    sql.text += " WHERE 0 = 1";
  } else {
    std::string ids = "r.experiment_id IN (";
    for (size_t i = 0; i < search.experiment_ids.size(); ++i) {
      ids += i == 0 ? "?" : ", ?";
      sql.params.emplace_back(search.experiment_ids[i]);
    }
    sql.text += " WHERE " + ids + ")";
  }
  if (search.view != ViewType::kAll) {
    sql.text += " AND r.lifecycle_stage = ?";
    sql.params.emplace_back(search.view == ViewType::kActiveOnly ? "active" : "deleted");
  }
  for (const std::string& cond : where) sql.text += " AND " + cond;
  for (auto& p : where_params) sql.params.push_back(std::move(p));
  sql.text += " ORDER BY ";
  for (size_t i = 0; i < order.size(); ++i) {
    if (i > 0) sql.text += ", ";
    sql.text += order[i];
  }
  sql.text += " LIMIT ? OFFSET ?";
  sql.params.emplace_back(search.limit);
  sql.params.emplace_back(search.offset);
  return sql;
}

Sql CompileExperimentSearch(const ExperimentSearch& search) {
  std::string joins;
  std::vector<storage::Value> join_params;
  std::vector<std::string> where;
  std::vector<storage::Value> where_params;
  if (search.view != ViewType::kAll) {
    where.push_back("e.lifecycle_stage = ?");
    where_params.emplace_back(search.view == ViewType::kActiveOnly ? "active" : "deleted");
  }
  for (size_t i = 0; i < search.filter.size(); ++i) {
    const Clause& c = search.filter[i];
    if (c.entity == Entity::kTag) {
      std::string alias = fmt::format("f{}", i);
      joins += fmt::format(
          " JOIN experiment_tags {0} ON {0}.experiment_id = e.experiment_id AND {0}.key = ? AND ",
          alias);
      join_params.emplace_back(c.key);
      AppendComparison(alias + ".value", c, false, joins, join_params);
    } else {
      std::string cond;
      AppendComparison("e." + c.key, c, /*integer=*/c.key != "name", cond, where_params);
      where.push_back(std::move(cond));
    }
  }

  std::vector<OrderKey> keys = search.order_by;
  if (keys.empty()) {
    keys = {{Entity::kAttribute, "creation_time", false}, {Entity::kAttribute, "experiment_id"}};
  }
  if (std::none_of(keys.begin(), keys.end(),
                   [](const OrderKey& k) { return k.key == "experiment_id"; })) {
    keys.push_back({Entity::kAttribute, "experiment_id", false});
  }

  Sql sql;
  sql.text = "SELECT e.experiment_id FROM experiments e" + joins;
  sql.params = std::move(join_params);
  for (size_t i = 0; i < where.size(); ++i) sql.text += (i == 0 ? " WHERE " : " AND ") + where[i];
  for (auto& p : where_params) sql.params.push_back(std::move(p));
  sql.text += " ORDER BY ";
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i > 0) sql.text += ", ";
    sql.text += fmt::format("e.{} {}", keys[i].key, Direction(keys[i].ascending));
  }
  sql.text += " LIMIT ? OFFSET ?";
  sql.params.emplace_back(search.limit);
  sql.params.emplace_back(search.offset);
  return sql;
}

// ---------------------------------------------------------------------------------------------
// Page tokens
// ---------------------------------------------------------------------------------------------
namespace {

constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64Encode(std::string_view in) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8) |
                 static_cast<uint8_t>(in[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kBase64[(n >> shift) & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t n = static_cast<uint8_t>(in[i]) << 16;
    out += kBase64[(n >> 18) & 63];
    out += kBase64[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t n = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8);
    out += kBase64[(n >> 18) & 63];
    out += kBase64[(n >> 12) & 63];
    out += kBase64[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

// Standard or URL-safe alphabet; padding optional (query strings often lose it).
std::optional<std::string> Base64Decode(std::string_view in) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '+' || c == '-') {
      v = 62;
    } else if (c == '/' || c == '_') {
      v = 63;
    } else {
      return std::nullopt;
    }
    bits = (bits << 6) | static_cast<uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xff);
    }
  }
  if (count >= 6) return std::nullopt;  // a lone trailing character
  return out;
}

// Reads `{"offset": N}` (N a number or a numeric string, as MLflow's int() accepts).
std::optional<int64_t> ParseOffsetJson(std::string_view json) {
  size_t i = 0;
  auto skip = [&] {
    while (i < json.size() && std::isspace(static_cast<unsigned char>(json[i]))) ++i;
  };
  auto expect = [&](std::string_view s) {
    skip();
    if (json.substr(i, s.size()) != s) return false;
    i += s.size();
    return true;
  };
  if (!expect("{") || !expect("\"offset\"") || !expect(":")) return std::nullopt;
  skip();
  bool quoted = i < json.size() && json[i] == '"';
  if (quoted) ++i;
  int64_t offset = 0;
  auto [ptr, ec] = std::from_chars(json.data() + i, json.data() + json.size(), offset);
  if (ec != std::errc()) return std::nullopt;
  i = static_cast<size_t>(ptr - json.data());
  if (quoted && !expect("\"")) return std::nullopt;
  if (!expect("}")) return std::nullopt;
  skip();
  if (i != json.size() || offset < 0) return std::nullopt;
  return offset;
}

}  // namespace

std::string EncodePageToken(int64_t offset) {
  // Python's json.dumps spacing, so tokens are byte-identical to MLflow's.
  return Base64Encode(fmt::format("{{\"offset\": {}}}", offset));
}

Result<int64_t> DecodePageToken(std::string_view token) {
  if (token.empty()) return int64_t{0};
  std::optional<std::string> json = Base64Decode(token);
  if (!json) return InvalidArgument("invalid page_token '{}': not base64", token);
  std::optional<int64_t> offset = ParseOffsetJson(*json);
  if (!offset) {
    return InvalidArgument(
        "invalid page_token '{}': expected a token from a previous search (base64 of "
        "{{\"offset\": N}} with N >= 0)",
        token);
  }
  return *offset;
}

}  // namespace sluice::tracking
