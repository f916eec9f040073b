#include "datasets/types.h"

#include <charconv>

namespace sluice::datasets {
namespace {

constexpr size_t kMaxNameLength = 100;

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool AllDigits(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

Status CheckName(std::string_view text, std::string_view what) {
  if (text.empty()) return InvalidArgument("{} is empty", what);
  if (text.size() > kMaxNameLength) {
    return InvalidArgument("{} '{}...' is longer than {} characters", what, text.substr(0, 20),
                           kMaxNameLength);
  }
  if (!IsAlnum(text.front())) {
    return InvalidArgument("{} '{}' must start with a letter or digit", what, text);
  }
  for (char c : text) {
    if (!IsNameChar(c)) {
      return InvalidArgument("{} '{}' may hold only letters, digits, '.', '_' and '-'", what, text);
    }
  }
  return Status::Ok();
}

}  // namespace

std::string Ref::ToString() const {
  if (version) return name + "@" + std::to_string(*version);
  if (!tag.empty()) return name + "@" + tag;
  return name;
}

Status ValidateDatasetName(std::string_view name) { return CheckName(name, "dataset name"); }

Status ValidateTagName(std::string_view tag) {
  SLUICE_RETURN_IF_ERROR(CheckName(tag, "tag"));
  if (AllDigits(tag)) {
    return InvalidArgument("tag '{}' is all digits, which reads as a version number", tag);
  }
  if (tag == "latest") return InvalidArgument("tag 'latest' is reserved for the newest version");
  return Status::Ok();
}

Result<Ref> ParseRef(std::string_view text) {
  Ref ref;
  const size_t at = text.find('@');
  ref.name = std::string(text.substr(0, at));
  Status name_status = ValidateDatasetName(ref.name);
  if (!name_status.ok()) {
    return InvalidArgument("dataset reference '{}': {} (expected NAME, NAME@VERSION or NAME@TAG)",
                           text, name_status.message());
  }
  if (at == std::string_view::npos) return ref;
  std::string_view rest = text.substr(at + 1);
  if (AllDigits(rest)) {
    int64_t version = 0;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), version);
    if (ec != std::errc() || end != rest.data() + rest.size() || version < 1) {
      return InvalidArgument("dataset reference '{}': version must be a number from 1", text);
    }
    ref.version = version;
    return ref;
  }
  if (rest == "latest") return ref;
  Status tag_status = CheckName(rest, "tag");
  if (!tag_status.ok()) {
    return InvalidArgument("dataset reference '{}': {} (expected NAME, NAME@VERSION or NAME@TAG)",
                           text, tag_status.message());
  }
  ref.tag = std::string(rest);
  return ref;
}

std::string_view DatasetKindName(DatasetKind kind) {
  return kind == DatasetKind::kFile ? "file" : "folder";
}

uint64_t Manifest::TotalBytes() const {
  uint64_t total = 0;
  for (const Entry& e : entries) total += e.size_bytes;
  return total;
}

nlohmann::json ToJson(const VersionInfo& v) {
  return {{"name", v.name},
          {"version", v.version},
          {"digest", v.digest},
          {"kind", std::string(DatasetKindName(v.kind))},
          {"path", v.path},
          {"size_bytes", v.size_bytes},
          {"file_count", v.file_count},
          {"stored_bytes", v.stored_bytes},
          {"created_at", v.created_at},
          {"created_by", v.created_by},
          {"message", v.message},
          {"source", v.source},
          {"table_info", v.table_info},
          {"changes", v.changes},
          {"tags", v.tags}};
}

}  // namespace sluice::datasets
