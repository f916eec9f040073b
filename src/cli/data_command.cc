// sluice data
// add|status|log|ls|show|diff|checkout|tag|rm|verify|gc|remote|push|pull|import-dvc|hash
#include <iostream>
#include <memory>

#include "base/clock.h"
#include "base/progress.h"
#include "cli/commands.h"
#include "cli/session.h"
#include "datasets/dataset_store.h"
#include "datasets/pointer_file.h"

namespace sluice::cli {
namespace {

namespace fs = std::filesystem;
using datasets::DatasetStore;
using datasets::VersionInfo;
using Json = nlohmann::json;

// The domain's progress as a terminal progress bar (silent when stderr is not a terminal).
class BarProgress final : public datasets::Progress {
 public:
  void Start(std::string_view label, uint64_t total, bool bytes) override {
    bar_ = std::make_unique<ProgressBar>(std::string(label), total,
                                         bytes ? ProgressUnit::kBytes : ProgressUnit::kItems);
  }
  void Advance(uint64_t n) override {
    if (bar_) bar_->Advance(n);
  }
  void Finish() override {
    if (bar_) bar_->Finish();
    bar_.reset();
  }

 private:
  std::unique_ptr<ProgressBar> bar_;
};

Result<std::unique_ptr<DatasetStore>> OpenStore(Session& s, size_t threads) {
  datasets::StoreOptions options;
  options.threads = threads;
  return DatasetStore::Open(s.workspace->database(), s.workspace->blobs(), s.workspace->root(),
                            SystemClock::Get(), options);
}

// A command body that also gets the dataset store (hashing on `*threads` threads, 0 = one per
// core, when given).
std::function<void()> DataCommand(CommandContext& context,
                                  std::function<Status(Session&, DatasetStore&)> body,
                                  std::shared_ptr<size_t> threads = nullptr) {
  return SessionCommand(context, [body = std::move(body), threads](Session& s) -> Status {
    if (!threads || *threads == 0) return body(s, *s.datasets);
    SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<DatasetStore> store, OpenStore(s, *threads));
    return body(s, *store);
  });
}

void AddThreadsFlag(CLI::App& cmd, const std::shared_ptr<size_t>& threads) {
  cmd.add_option("--threads", *threads,
                 "Threads reading and hashing, this one included (0 = one per core)")
      ->check(CLI::Range(size_t{0}, size_t{256}))
      ->capture_default_str();
}

std::string Ref(const VersionInfo& v) { return v.name + "@" + std::to_string(v.version); }

std::string OrDash(const std::string& s) { return s.empty() ? "-" : s; }

// Relative to the current folder when below it, as the user named it.
std::string Shown(const fs::path& path) {
  std::error_code ec;
  const fs::path cwd = fs::current_path(ec);
  if (ec) return path.string();
  const fs::path rel = path.lexically_relative(cwd);
  if (rel.empty() || *rel.begin() == "..") return path.string();
  return rel.string();
}

std::string Join(const std::vector<std::string>& items, std::string_view separator = ",") {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : std::string(separator)) + s;
  return out;
}

Json VersionJson(const VersionInfo& v) {
  Json json = datasets::ToJson(v);
  json["ref"] = Ref(v);
  return json;
}

Json ChangesJson(const std::vector<datasets::FileChange>& changes) {
  Json list = Json::array();
  for (const auto& c : changes) {
    list.push_back(
        {{"path", c.path}, {"size_before", c.size_before}, {"size_after", c.size_after}});
  }
  return list;
}

// "1,000 rows x 5 columns" of a single table, or "" when the version holds no profiled table.
std::string TableSummary(const VersionInfo& v) {
  if (!v.table_info.is_object() || !v.table_info.contains("files")) return "";
  const Json& files = v.table_info["files"];
  if (files.size() != 1) return fmt::format("{} tables", files.size());
  const Json& t = files.begin().value();
  if (t.contains("skipped")) return "table not profiled";
  return fmt::format("{} rows x {} columns", t.value("rows", 0), t["columns"].size());
}

std::string ChangesSummary(const VersionInfo& v) {
  if (!v.changes.is_object()) return "first version";
  return fmt::format("+{} -{} ~{}", v.changes.value("added", 0), v.changes.value("removed", 0),
                     v.changes.value("modified", 0));
}

Json ValidationJson(const datasets::ValidationRecord& r) {
  return {{"suite", r.suite},          {"success", r.success}, {"evaluated", r.evaluated},
          {"failed", r.failed},        {"rows", r.rows},       {"created_at", r.created_at},
          {"created_by", r.created_by}};
}

// The latest check of a version: "passed (churn)", "FAILED 2 of 21 (churn)", or "-".
std::string ChecksSummary(const std::vector<datasets::ValidationRecord>& checks) {
  if (checks.empty()) return "-";
  const datasets::ValidationRecord& r = checks.front();
  return r.success ? fmt::format("passed ({})", r.suite)
                   : fmt::format("FAILED {} of {} ({})", r.failed, r.evaluated, r.suite);
}

// "-", or how many runs used a version and the newest few short ids (--json lists them all).
std::string RunsSummary(const std::vector<std::string>& runs) {
  constexpr size_t kShown = 3;
  if (runs.empty()) return "-";
  std::string out = std::to_string(runs.size()) + ":";
  for (size_t i = 0; i < std::min(kShown, runs.size()); ++i) out += " " + runs[i].substr(0, 8);
  if (runs.size() > kShown) out += " ...";
  return out;
}

// Runs (deleted ones too: they can be restored) whose inputs include this exact version: tracking's
// dataset name and digest (another dataset with the same bytes has the same digest).
Result<std::vector<std::string>> RunsUsing(Session& s, const VersionInfo& version,
                                           const std::vector<std::string>& experiments) {
  std::vector<std::string> runs;
  if (experiments.empty()) return runs;
  tracking::SearchRunsRequest req;
  req.experiment_ids = experiments;
  req.filter =
      fmt::format("dataset.name = '{}' AND dataset.digest = '{}'", version.name, version.digest);
  req.view_type = "ALL";
  SLUICE_ASSIGN_OR_RETURN(auto page, s.tracking->SearchRuns(req));
  for (const auto& r : page.items) runs.push_back(r.info.run_id);
  return runs;
}

Result<std::vector<std::string>> AllExperimentIds(Session& s) {
  tracking::SearchExperimentsRequest req;
  req.view_type = "ALL";
  SLUICE_ASSIGN_OR_RETURN(auto page, s.tracking->SearchExperiments(req));
  std::vector<std::string> ids;
  for (const auto& e : page.items) ids.push_back(e.experiment_id);
  return ids;
}

void PrintColumnShift(const Json& c) {
  auto show = [](const Json& v) -> std::string {
    if (v.is_number_float()) return FormatNumber(v.get<double>());
    if (v.is_null()) return "-";
    return v.dump();
  };
  std::vector<std::string> parts;
  for (const char* key : {"count", "nulls", "mean", "median", "min", "max", "distinct"}) {
    if (!c.contains(key)) continue;
    const Json& pair = c[key];
    if (pair[0] == pair[1]) continue;
    parts.push_back(fmt::format("{} {} -> {}", key, show(pair[0]), show(pair[1])));
  }
  if (c.contains("mean_shift_sd")) {
    const double sd = c["mean_shift_sd"].get<double>();
    if (sd != 0) parts.push_back(fmt::format("mean moved {} sd", FormatNumber(sd)));
  }
  if (c.contains("top")) parts.push_back("top values changed");
  if (parts.empty()) return;
  std::cout << "    " << c.value("name", "") << ": " << Join(parts, ", ") << "\n";
}

void PrintTableDiff(const std::string& path, const Json& t) {
  std::cout << "\ntable " << path << ": rows " << t["rows"][0] << " -> " << t["rows"][1] << "\n";
  if (!t["added_columns"].empty())
    std::cout << "  added columns: " << t["added_columns"].dump() << "\n";
  if (!t["removed_columns"].empty()) {
    std::cout << "  removed columns: " << t["removed_columns"].dump() << "\n";
  }
  for (const Json& c : t["type_changes"]) {
    std::cout << "  type of " << c["column"].get<std::string>() << ": "
              << c["from"].get<std::string>() << " -> " << c["to"].get<std::string>() << "\n";
  }
  bool header = false;
  for (const Json& c : t["columns"]) {
    if (!c.value("changed", false)) continue;
    if (!header) std::cout << "  column shifts:\n";
    header = true;
    PrintColumnShift(c);
  }
}

void PrintProfile(const std::string& path, const Json& t) {
  if (t.contains("skipped")) {
    std::cout << "\ntable " << path << ": not profiled (" << t["skipped"].get<std::string>()
              << ")\n";
    return;
  }
  std::cout << "\ntable " << path << ": " << t.value("rows", 0) << " rows\n";
  Table table({"COLUMN", "TYPE", "NULLS", "MIN", "MEDIAN", "MAX", "MEAN", "TOP"});
  auto num = [](const Json& c, const char* key) -> std::string {
    if (!c.contains(key) || !c[key].is_number()) return "-";
    return FormatNumber(c[key].get<double>());
  };
  for (const Json& c : t["columns"]) {
    std::string median = "-";
    if (c.contains("quantiles") && c["quantiles"].contains("0.5") &&
        c["quantiles"]["0.5"].is_number()) {
      median = FormatNumber(c["quantiles"]["0.5"].get<double>());
    }
    std::string top = "-";
    if (c.contains("top") && !c["top"].empty()) {
      std::vector<std::string> values;
      for (const Json& v : c["top"]) {
        values.push_back(fmt::format("{}({})", v[0].get<std::string>(), v[1].get<int64_t>()));
        if (values.size() == 3) break;
      }
      top = Join(values, " ");
    }
    table.AddRow({c.value("name", ""), c.value("type", ""), std::to_string(c.value("nulls", 0)),
                  num(c, "min"), median, num(c, "max"), num(c, "mean"), top});
  }
  std::cout << table.Render();
}

}  // namespace

void AddDataCommands(CLI::App& app, CommandContext& context) {
  CLI::App* group = app.add_subcommand(
      "data",
      "Versioned datasets: record files and folders as immutable, content-addressed versions "
      "(name@N), see what changed, restore exact bytes, share them through remotes");
  group->require_subcommand(1);
  const GlobalOptions& global = context.global;

  {
    CLI::App* cmd = group->add_subcommand(
        "add",
        "Record a file or folder as the next version of dataset NAME (stores only new chunks, "
        "writes PATH.sluice beside it; no new version when nothing changed)");
    struct Flags {
      std::string path, name, message;
      bool no_pointer = false, no_profile = false;
    };
    auto f = std::make_shared<Flags>();
    cmd->add_option("path", f->path, "File or folder inside the workspace")->required();
    cmd->add_option("--name,-n", f->name, "Dataset name (letters, digits, '.', '_', '-')")
        ->required();
    cmd->add_option("--message,-m", f->message, "What this version is, shown by data log");
    cmd->add_flag("--no-pointer", f->no_pointer, "Do not write the PATH.sluice pointer file");
    cmd->add_flag("--no-profile", f->no_profile,
                  "Do not profile CSV/TSV/JSONL files (row count, schema, column statistics)");
    auto threads = std::make_shared<size_t>(0);
    AddThreadsFlag(*cmd, threads);
    AddCommonFlags(*cmd, context);
    cmd->callback(DataCommand(
        context,
        [f, &global](Session&, DatasetStore& store) -> Status {
          BarProgress progress;
          datasets::AddOptions options{.name = f->name,
                                       .message = f->message,
                                       .user = CurrentUser(),
                                       .write_pointer = !f->no_pointer,
                                       .profile_tables = !f->no_profile,
                                       .progress = &progress};
          SLUICE_ASSIGN_OR_RETURN(datasets::AddResult r, store.Add(f->path, options));
          if (global.json) {
            PrintJson({{"dataset", VersionJson(r.version)},
                       {"unchanged", r.unchanged},
                       {"files", r.files},
                       {"hashed_files", r.hashed_files},
                       {"hashed_bytes", r.hashed_bytes},
                       {"new_objects", r.new_objects},
                       {"new_bytes", r.new_bytes},
                       {"pointer", r.pointer.empty() ? Json(nullptr) : Json(r.pointer.string())},
                       {"notes", r.notes}});
            return Status();
          }
          const VersionInfo& v = r.version;
          if (r.unchanged) {
            std::cout << Ref(v) << " is unchanged: " << v.path << " (" << FormatBytes(v.size_bytes)
                      << ", " << v.file_count << (v.file_count == 1 ? " file" : " files") << ")\n";
          } else {
            std::cout << "Added " << Ref(v) << ": " << v.path << ", " << v.file_count
                      << (v.file_count == 1 ? " file, " : " files, ") << FormatBytes(v.size_bytes);
            const std::string table = TableSummary(v);
            if (!table.empty()) std::cout << ", " << table;
            std::cout << "\n  stored " << FormatBytes(r.new_bytes) << " new (" << r.new_objects
                      << " objects); read " << r.hashed_files << " of " << r.files << " files\n";
            std::cout << "  digest " << v.digest << "\n";
          }
          if (!r.pointer.empty()) std::cout << "  pointer " << Shown(r.pointer) << "\n";
          for (const std::string& n : r.notes) std::cout << "  note: " << n << "\n";
          return Status();
        },
        threads));
  }
  {
    CLI::App* cmd = group->add_subcommand(
        "status",
        "Which tracked paths changed since their dataset's latest version (unchanged files are "
        "recognized by their stat alone, without reading them)");
    auto name = std::make_shared<std::string>();
    cmd->add_option("name", *name, "Only this dataset");
    AddCommonFlags(*cmd, context);
    cmd->callback(DataCommand(context, [name, &global](Session&, DatasetStore& store) -> Status {
      BarProgress progress;
      SLUICE_ASSIGN_OR_RETURN(auto paths, store.CheckStatus(*name, &progress));
      if (global.json) {
        Json list = Json::array();
        for (const auto& p : paths) {
          list.push_back({{"name", p.version.name},
                          {"version", p.version.version},
                          {"path", p.version.path},
                          {"state", std::string(datasets::PathStateName(p.state))},
                          {"files", p.files},
                          {"hashed_files", p.hashed_files},
                          {"added", ChangesJson(p.added)},
                          {"removed", ChangesJson(p.removed)},
                          {"modified", ChangesJson(p.modified)}});
        }
        PrintJson({{"paths", list}});
        return Status();
      }
      if (paths.empty()) {
        std::cout << "No tracked paths (record one: sluice data add PATH --name NAME)\n";
        return Status();
      }
      for (const auto& p : paths) {
        std::cout << p.version.path << " (" << Ref(p.version)
                  << "): " << datasets::PathStateName(p.state) << "\n";
        for (const auto& c : p.added) std::cout << "  added:    " << c.path << "\n";
        for (const auto& c : p.removed) std::cout << "  removed:  " << c.path << "\n";
        for (const auto& c : p.modified) std::cout << "  modified: " << c.path << "\n";
      }
      return Status();
    }));
  }
  {
    CLI::App* cmd = group->add_subcommand(
        "log",
        "The versions of a dataset, newest first: when, who, size, what changed, tags, the "
        "latest validation (sluice validate run NAME@N), and the runs that used each");
    auto name = std::make_shared<std::string>();
    cmd->add_option("name", *name, "Dataset name")->required();
    AddCommonFlags(*cmd, context);
    cmd->callback(DataCommand(context, [name, &global](Session& s, DatasetStore& store) -> Status {
      SLUICE_ASSIGN_OR_RETURN(auto versions, store.Log(*name));
      SLUICE_ASSIGN_OR_RETURN(auto experiments, AllExperimentIds(s));
      std::vector<std::vector<std::string>> runs;
      std::vector<std::vector<datasets::ValidationRecord>> checks;
      for (const auto& v : versions) {
        SLUICE_ASSIGN_OR_RETURN(auto used, RunsUsing(s, v, experiments));
        runs.push_back(std::move(used));
        SLUICE_ASSIGN_OR_RETURN(auto checked, store.Validations(v.name, v.version));
        checks.push_back(std::move(checked));
      }
      if (global.json) {
        Json list = Json::array();
        for (size_t i = 0; i < versions.size(); ++i) {
          Json item = VersionJson(versions[i]);
          item["runs"] = runs[i];
          item["validations"] = Json::array();
          for (const auto& c : checks[i]) item["validations"].push_back(ValidationJson(c));
          list.push_back(std::move(item));
        }
        PrintJson({{"name", *name}, {"versions", list}});
        return Status();
      }
      Table table({"VERSION", "CREATED", "BY", "SIZE", "FILES", "STORED", "CHANGES", "TAGS",
                   "CHECKS", "RUNS", "MESSAGE"});
      for (size_t i = 0; i < versions.size(); ++i) {
        const auto& v = versions[i];
        table.AddRow({std::to_string(v.version), FormatTime(v.created_at), OrDash(v.created_by),
                      FormatBytes(v.size_bytes), std::to_string(v.file_count),
                      FormatBytes(v.stored_bytes), ChangesSummary(v), OrDash(Join(v.tags)),
                      ChecksSummary(checks[i]), RunsSummary(runs[i]), OrDash(v.message)});
      }
      std::cout << table.Render();
      return Status();
    }));
  }
  {
    CLI::App* cmd = group->add_subcommand("ls", "The datasets and their latest versions");
    AddCommonFlags(*cmd, context);
    cmd->callback(DataCommand(context, [&global](Session&, DatasetStore& store) -> Status {
      SLUICE_ASSIGN_OR_RETURN(auto list, store.List());
      if (global.json) {
        Json out = Json::array();
        for (const auto& d : list) {
          out.push_back(
              {{"name", d.name}, {"versions", d.versions}, {"latest", VersionJson(d.latest)}});
        }
        PrintJson({{"datasets", out}});
        return Status();
      }
      if (list.empty()) {
        std::cout << "No datasets (record one: sluice data add PATH --name NAME)\n";
        return Status();
      }
      Table table({"NAME", "LATEST", "VERSIONS", "PATH", "SIZE", "FILES", "TABLE", "UPDATED"});
      for (const auto& d : list) {
        table.AddRow({d.name, std::to_string(d.latest.version), std::to_string(d.versions),
                      OrDash(d.latest.path), FormatBytes(d.latest.size_bytes),
                      std::to_string(d.latest.file_count), OrDash(TableSummary(d.latest)),
                      FormatTime(d.latest.created_at)});
      }
      std::cout << table.Render();
      return Status();
    }));
  }
  {
    CLI::App* cmd = group->add_subcommand(
        "show",
        "One version: digest, path, size, message, tags, validations and its table profiles");
    auto ref = std::make_shared<std::string>();
    cmd->add_option("ref", *ref, "NAME, NAME@VERSION or NAME@TAG")->required();
    AddCommonFlags(*cmd, context);
    cmd->callback(DataCommand(context, [ref, &global](Session&, DatasetStore& store) -> Status {
      SLUICE_ASSIGN_OR_RETURN(VersionInfo v, store.Get(*ref));
      SLUICE_ASSIGN_OR_RETURN(auto checks, store.Validations(v.name, v.version));
      if (global.json) {
        Json validations = Json::array();
        for (const auto& c : checks) validations.push_back(ValidationJson(c));
        PrintJson({{"dataset", VersionJson(v)}, {"validations", validations}});
        return Status();
      }
      std::cout << "dataset:   " << Ref(v) << "\n"
                << "digest:    " << v.digest << "\n"
                << "kind:      " << datasets::DatasetKindName(v.kind) << "\n"
                << "path:      " << OrDash(v.path) << "\n"
                << "size:      " << FormatBytes(v.size_bytes) << " in " << v.file_count
                << (v.file_count == 1 ? " file" : " files") << "\n"
                << "stored:    " << FormatBytes(v.stored_bytes) << " new\n"
                << "created:   " << FormatTime(v.created_at) << " by " << OrDash(v.created_by)
                << "\n"
                << "source:    " << OrDash(v.source) << "\n"
                << "changes:   " << ChangesSummary(v) << "\n"
                << "tags:      " << OrDash(Join(v.tags)) << "\n"
                << "message:   " << OrDash(v.message) << "\n";
      for (const auto& c : checks) {
        std::cout << "checked:   " << FormatTime(c.created_at) << " by " << OrDash(c.created_by)
                  << ": " << ChecksSummary({c}) << ", " << c.rows << " rows\n";
      }
      if (v.table_info.is_object() && v.table_info.contains("files")) {
        for (const auto& [path, t] : v.table_info["files"].items()) PrintProfile(path, t);
      }
      return Status();
    }));
  }
  {
    CLI::App* cmd = group->add_subcommand(
        "diff",
        "What changed between two versions: files added, removed and modified; for "
        "tables, rows, schema and per-column statistics");
    struct Flags {
      std::string from, to;
    };
    auto f = std::make_shared<Flags>();
    cmd->add_option("from", f->from, "The older version, e.g. churn@1")->required();
    cmd->add_option("to", f->to, "The newer version, e.g. churn@2 or churn")->required();
    AddCommonFlags(*cmd, context);
    cmd->callback(DataCommand(context, [f, &global](Session&, DatasetStore& store) -> Status {
      SLUICE_ASSIGN_OR_RETURN(datasets::DiffResult d, store.Diff(f->from, f->to));
      if (global.json) {
        PrintJson({{"from", VersionJson(d.from)},
                   {"to", VersionJson(d.to)},
                   {"added", ChangesJson(d.added)},
                   {"removed", ChangesJson(d.removed)},
                   {"modified", ChangesJson(d.modified)},
                   {"unchanged", d.unchanged},
                   {"tables", d.tables}});
        return Status();
      }
      std::cout << Ref(d.from) << " -> " << Ref(d.to) << ": " << d.added.size() << " added, "
                << d.removed.size() << " removed, " << d.modified.size() << " modified, "
                << d.unchanged << " unchanged; size " << FormatBytes(d.from.size_bytes) << " -> "
                << FormatBytes(d.to.size_bytes) << "\n";
      for (const auto& c : d.added) {
        std::cout << "  added:    " << c.path << " (" << FormatBytes(c.size_after) << ")\n";
      }
      for (const auto& c : d.removed) {
        std::cout << "  removed:  " << c.path << " (" << FormatBytes(c.size_before) << ")\n";
      }
      for (const auto& c : d.modified) {
        std::cout << "  modified: " << c.path << " (" << FormatBytes(c.size_before) << " -> "
                  << FormatBytes(c.size_after) << ")\n";
      }
      for (const auto& [path, t] : d.tables.items()) PrintTableDiff(path, t);
      return Status();
    }));
  }
  {
    CLI::App* cmd = group->add_subcommand(
        "checkout",
        "Restore the exact bytes of a version (or of the version a PATH.sluice pointer names), "
        "each checked against its digest; files whose content no version holds are not "
        "overwritten without --force");
    struct Flags {
      std::string target, to;
      bool force = false;
    };
    auto f = std::make_shared<Flags>();
    cmd->add_option("target", f->target, "NAME, NAME@VERSION, NAME@TAG or a PATH.sluice pointer")
        ->required();
    cmd->add_option("--to", f->to,
                    "Write here instead of the version's own path (for a file version, an "
                    "existing folder means into it)");
    cmd->add_flag("--force", f->force, "Overwrite or delete files whose content is not stored");
    AddCommonFlags(*cmd, context);
    cmd->callback(DataCommand(context, [f, &global](Session&, DatasetStore& store) -> Status {
      BarProgress progress;
      datasets::CheckoutOptions options{.dest = f->to, .force = f->force, .progress = &progress};
      std::error_code ec;
      const bool pointer = datasets::IsPointerPath(f->target) && fs::is_regular_file(f->target, ec);
      SLUICE_ASSIGN_OR_RETURN(
          datasets::CheckoutResult r,
          pointer ? store.CheckoutPointer(f->target, options) : store.Checkout(f->target, options));
      if (global.json) {
        PrintJson({{"dataset", VersionJson(r.version)},
                   {"dest", r.dest.string()},
                   {"written_files", r.written_files},
                   {"written_bytes", r.written_bytes},
                   {"unchanged_files", r.unchanged_files},
                   {"removed_files", r.removed_files}});
        return Status();
      }
      std::cout << "Checked out " << Ref(r.version) << " to " << Shown(r.dest) << ": "
                << r.written_files << " written (" << FormatBytes(r.written_bytes) << "), "
                << r.unchanged_files << " already right";
      if (r.removed_files > 0) std::cout << ", " << r.removed_files << " removed";
      std::cout << "\n";
      return Status();
    }));
  }
  {
    CLI::App* cmd = group->add_subcommand(
        "tag",
        "Name a version: TAG then works as NAME@TAG (refused when TAG is taken unless "
        "--force moves it; --delete removes it)");
    struct Flags {
      std::string ref, tag;
      bool force = false, remove = false;
    };
    auto f = std::make_shared<Flags>();
    cmd->add_option("ref", f->ref, "NAME, NAME@VERSION or NAME@TAG (NAME with --delete)")
        ->required();
    cmd->add_option("tag", f->tag, "Tag name, e.g. gold-2026-11")->required();
    cmd->add_flag("--force", f->force, "Move the tag if it points at another version");
    cmd->add_flag("--delete", f->remove, "Delete the tag");
    AddCommonFlags(*cmd, context);
    cmd->callback(DataCommand(context, [f, &global](Session&, DatasetStore& store) -> Status {
      if (f->remove) {
        SLUICE_ASSIGN_OR_RETURN(datasets::Ref ref, datasets::ParseRef(f->ref));
        SLUICE_RETURN_IF_ERROR(store.DeleteTag(ref.name, f->tag));
        if (global.json) {
          PrintJson({{"name", ref.name}, {"tag", f->tag}, {"deleted", true}});
        } else {
          std::cout << "Deleted tag " << ref.name << "@" << f->tag << "\n";
        }
        return Status();
      }
      SLUICE_RETURN_IF_ERROR(store.Tag(f->ref, f->tag, f->force));
      SLUICE_ASSIGN_OR_RETURN(VersionInfo v, store.Get(f->ref));
      if (global.json) {
        PrintJson({{"name", v.name}, {"tag", f->tag}, {"version", v.version}});
      } else {
        std::cout << v.name << "@" << f->tag << " -> version " << v.version << "\n";
      }
      return Status();
    }));
  }
  {
    CLI::App* cmd = group->add_subcommand(
        "rm",
        "Remove a version's record (the bytes go at the next gc); refused while tags point "
        "at it or runs used it (their lineage would point at bytes gc deletes) unless --force");
    struct Flags {
      std::string ref;
      bool all = false, force = false;
    };
    auto f = std::make_shared<Flags>();
    cmd->add_option("ref", f->ref, "NAME@VERSION, or NAME with --all")->required();
    cmd->add_flag("--all", f->all, "Remove every version of the dataset");
    cmd->add_flag("--force", f->force,
                  "Remove the tags that point at it too, and remove it even though runs used it "
                  "(they keep its name and digest, not its bytes)");
    AddCommonFlags(*cmd, context);
    cmd->callback(DataCommand(context, [f, &global](Session& s, DatasetStore& store) -> Status {
      SLUICE_ASSIGN_OR_RETURN(datasets::Ref ref, datasets::ParseRef(f->ref));
      std::optional<int64_t> version;
      if (!f->all) {
        if (!ref.version && ref.tag.empty()) {
          return InvalidArgument(
              "say which version to remove ('{}@N'), or pass --all to remove every version",
              ref.name);
        }
      }
      std::vector<VersionInfo> doomed;
      if (f->all) {
        SLUICE_ASSIGN_OR_RETURN(doomed, store.Log(ref.name));
      } else {
        SLUICE_ASSIGN_OR_RETURN(VersionInfo v, store.Get(f->ref));
        version = v.version;
        doomed.push_back(std::move(v));
      }
      if (!f->force) {
        SLUICE_ASSIGN_OR_RETURN(auto experiments, AllExperimentIds(s));
        std::vector<std::string> used;
        for (const VersionInfo& v : doomed) {
          SLUICE_ASSIGN_OR_RETURN(auto runs, RunsUsing(s, v, experiments));
          if (!runs.empty())
            used.push_back(fmt::format("{}@{} ({})", v.name, v.version, RunsSummary(runs)));
        }
        if (!used.empty()) {
          return FailedPrecondition(
              "runs used what would be removed: {}; their lineage would point at bytes gc "
              "deletes. Keep it, or pass --force to remove it anyway (see the runs: sluice data "
              "log {})",
              Join(used, ", "), ref.name);
        }
      }
      SLUICE_RETURN_IF_ERROR(store.Remove(ref.name, version, f->force));
      if (global.json) {
        PrintJson({{"name", ref.name},
                   {"version", version ? Json(*version) : Json("all")},
                   {"removed", true}});
      } else if (version) {
        std::cout << "Removed " << ref.name << "@" << *version
                  << " (its bytes are freed by sluice data gc)\n";
      } else {
        std::cout << "Removed every version of " << ref.name
                  << " (their bytes are freed by sluice data gc)\n";
      }
      return Status();
    }));
  }
  {
    CLI::App* cmd = group->add_subcommand(
        "verify",
        "Read every stored byte of a version (of every version without REF) and check "
        "it against its digest; exit code 8 when something is missing or corrupt");
    auto ref = std::make_shared<std::string>();
    cmd->add_option("ref", *ref, "NAME, NAME@VERSION or NAME@TAG");
    AddCommonFlags(*cmd, context);
    cmd->callback([ref, &context] {
      Status status = [&]() -> Status {
        SLUICE_ASSIGN_OR_RETURN(Session s, OpenSession(context.global));
        BarProgress progress;
        SLUICE_ASSIGN_OR_RETURN(datasets::VerifyReport r, s.datasets->Verify(*ref, &progress));
        if (context.global.json) {
          Json problems = Json::array();
          for (const auto& p : r.problems) {
            problems.push_back({{"object", p.object}, {"problem", p.what}, {"used_by", p.refs}});
          }
          PrintJson({{"ok", r.ok()},
                     {"versions", r.versions},
                     {"objects", r.objects},
                     {"bytes", r.bytes},
                     {"problems", problems}});
        } else {
          std::cout << "Checked " << r.versions << (r.versions == 1 ? " version, " : " versions, ")
                    << r.objects << " objects, " << FormatBytes(r.bytes) << ": "
                    << (r.ok() ? "all intact" : fmt::format("{} problems", r.problems.size()))
                    << "\n";
          for (const auto& p : r.problems) {
            std::cout << "  " << p.what << "\n";
            if (!p.refs.empty()) std::cout << "    used by " << Join(p.refs, ", ") << "\n";
          }
        }
        if (!r.ok()) context.exit_code = kExitCheckFailed;
        return Status();
      }();
      if (!status.ok()) context.exit_code = ReportError(context.global, status);
    });
  }
  {
    CLI::App* cmd = group->add_subcommand(
        "gc",
        "Delete stored data that no version reaches (removed versions, interrupted adds) "
        "and print the bytes freed; waits for running adds, and they wait for it");
    struct Flags {
      bool dry_run = false;
      int64_t min_age = 3600;
    };
    auto f = std::make_shared<Flags>();
    cmd->add_flag("--dry-run,-n", f->dry_run, "Only print what would be deleted");
    cmd->add_option("--min-age", f->min_age,
                    "Seconds: unreferenced blobs no version record knows (an interrupted add) are "
                    "deleted only when older than this")
        ->check(CLI::Range(int64_t{0}, int64_t{10} * 365 * 86400))
        ->capture_default_str();
    AddCommonFlags(*cmd, context);
    cmd->callback(DataCommand(context, [f, &global](Session&, DatasetStore& store) -> Status {
      BarProgress progress;
      SLUICE_ASSIGN_OR_RETURN(datasets::GcReport r,
                              store.Gc({.dry_run = f->dry_run,
                                        .min_age = std::chrono::seconds(f->min_age),
                                        .progress = &progress}));
      if (global.json) {
        PrintJson({{"dry_run", r.dry_run},
                   {"removed_bytes", r.removed_bytes},
                   {"removed_packs", r.removed_packs},
                   {"removed_manifests", r.removed_manifests},
                   {"forgotten_objects", r.forgotten_objects},
                   {"reachable_objects", r.reachable_objects},
                   {"live_packs", r.live_packs},
                   {"dead_bytes_in_live_packs", r.dead_bytes_in_live_packs},
                   {"kept_young_blobs", r.kept_young_blobs}});
        return Status();
      }
      std::cout << (r.dry_run ? "Would free " : "Freed ") << FormatBytes(r.removed_bytes) << " ("
                << r.removed_packs << " packs, " << r.removed_manifests << " manifests); kept "
                << r.live_packs << " packs holding " << r.reachable_objects
                << " reachable objects\n";
      if (r.dead_bytes_in_live_packs > 0) {
        std::cout << "  " << FormatBytes(r.dead_bytes_in_live_packs)
                  << " of unreachable objects stay inside packs that still hold reachable ones\n";
      }
      if (r.kept_young_blobs > 0) {
        std::cout << "  kept " << r.kept_young_blobs
                  << " unrecorded blobs younger than --min-age (an add may still be writing)\n";
      }
      return Status();
    }));
  }
  {
    CLI::App* remote = group->add_subcommand(
        "remote", "Remotes for push and pull: folders (s3:// once that backend exists)");
    remote->require_subcommand(1);
    {
      CLI::App* cmd = remote->add_subcommand("add", "Add a remote");
      struct Flags {
        std::string name, url;
        bool make_default = false;
      };
      auto f = std::make_shared<Flags>();
      cmd->add_option("name", f->name, "Remote name, e.g. backup")->required();
      cmd->add_option("url", f->url, "A folder path or file:///path")->required();
      cmd->add_flag("--default", f->make_default,
                    "Use it when --remote is not given (the first remote is the default)");
      AddCommonFlags(*cmd, context);
      cmd->callback(DataCommand(context, [f, &global](Session&, DatasetStore& store) -> Status {
        SLUICE_RETURN_IF_ERROR(store.AddRemote(f->name, f->url, f->make_default));
        if (global.json) {
          PrintJson({{"name", f->name}, {"url", f->url}});
        } else {
          std::cout << "Added remote " << f->name << " -> " << f->url << "\n";
        }
        return Status();
      }));
    }
    {
      CLI::App* cmd = remote->add_subcommand("list", "List remotes");
      AddCommonFlags(*cmd, context);
      cmd->callback(DataCommand(context, [&global](Session&, DatasetStore& store) -> Status {
        SLUICE_ASSIGN_OR_RETURN(auto remotes, store.ListRemotes());
        if (global.json) {
          Json list = Json::array();
          for (const auto& r : remotes) {
            list.push_back({{"name", r.name}, {"url", r.url}, {"default", r.is_default}});
          }
          PrintJson({{"remotes", list}});
          return Status();
        }
        Table table({"NAME", "URL", "DEFAULT"});
        for (const auto& r : remotes) table.AddRow({r.name, r.url, r.is_default ? "yes" : ""});
        std::cout << table.Render();
        return Status();
      }));
    }
    {
      CLI::App* cmd = remote->add_subcommand("remove", "Remove a remote (its data stays)");
      auto name = std::make_shared<std::string>();
      cmd->add_option("name", *name, "Remote name")->required();
      AddCommonFlags(*cmd, context);
      cmd->callback(DataCommand(context, [name, &global](Session&, DatasetStore& store) -> Status {
        SLUICE_RETURN_IF_ERROR(store.RemoveRemote(*name));
        if (global.json) {
          PrintJson({{"name", *name}, {"removed", true}});
        } else {
          std::cout << "Removed remote " << *name << "\n";
        }
        return Status();
      }));
    }
  }
  for (const bool push : {true, false}) {
    CLI::App* cmd = group->add_subcommand(
        push ? "push" : "pull",
        push ? "Copy versions (their records, manifests and packs) to a remote, only what it "
               "lacks, in parallel, verified; rerun to resume"
             : "Copy versions the workspace lacks from a remote, only the packs it needs, "
               "verified; rerun to resume");
    struct Flags {
      std::vector<std::string> refs;
      std::string remote;
    };
    auto f = std::make_shared<Flags>();
    cmd->add_option("refs", f->refs, "Datasets or versions (default: all)");
    cmd->add_option("--remote,-r", f->remote, "Remote name (default: the default remote)");
    AddCommonFlags(*cmd, context);
    cmd->callback(DataCommand(context, [f, push, &global](Session&, DatasetStore& store) -> Status {
      BarProgress progress;
      datasets::TransferOptions options{
          .remote = f->remote, .refs = f->refs, .progress = &progress};
      SLUICE_ASSIGN_OR_RETURN(datasets::TransferReport r,
                              push ? store.Push(options) : store.Pull(options));
      if (global.json) {
        PrintJson({{"remote", r.remote},
                   {"versions", r.versions},
                   {"packs", r.packs},
                   {"manifests", r.manifests},
                   {"bytes", r.bytes},
                   {"already_there", r.already_there},
                   {"conflicts", r.conflicts}});
      } else {
        std::cout << (push ? "Pushed to " : "Pulled from ") << r.remote << ": " << r.versions
                  << " version records, " << r.packs << " packs, " << r.manifests << " manifests, "
                  << FormatBytes(r.bytes) << " copied; " << r.already_there
                  << " objects were already there\n";
        for (const auto& c : r.conflicts) std::cout << "  conflict: " << c << "\n";
      }
      return Status();
    }));
  }
  {
    CLI::App* cmd = group->add_subcommand(
        "import-dvc",
        "Record the output of a DVC .dvc file (3.x, or 2.x) as a version of NAME, reading its "
        "bytes from the DVC cache and checking each file's md5");
    struct Flags {
      std::string file, name, message, cache;
    };
    auto f = std::make_shared<Flags>();
    cmd->add_option("file", f->file, "The .dvc file")->required();
    cmd->add_option("--name,-n", f->name, "Dataset name")->required();
    cmd->add_option("--message,-m", f->message, "What this version is");
    cmd->add_option("--cache", f->cache, "The DVC cache folder (default: <repo>/.dvc/cache)");
    AddCommonFlags(*cmd, context);
    cmd->callback(DataCommand(context, [f, &global](Session&, DatasetStore& store) -> Status {
      BarProgress progress;
      datasets::ImportDvcOptions options{.name = f->name,
                                         .message = f->message,
                                         .user = CurrentUser(),
                                         .cache_dir = f->cache,
                                         .progress = &progress};
      SLUICE_ASSIGN_OR_RETURN(datasets::AddResult r, store.ImportDvc(f->file, options));
      if (global.json) {
        PrintJson({{"dataset", VersionJson(r.version)},
                   {"unchanged", r.unchanged},
                   {"files", r.files},
                   {"new_bytes", r.new_bytes}});
      } else {
        std::cout << (r.unchanged ? "Unchanged: " : "Imported ") << Ref(r.version) << " from "
                  << f->file << ": " << r.files << (r.files == 1 ? " file, " : " files, ")
                  << FormatBytes(r.version.size_bytes) << " (md5 checked)\n";
      }
      return Status();
    }));
  }
  {
    CLI::App* cmd = group->add_subcommand(
        "hash",
        "Print the digest each file would have in a version (SHA-256 for files up to "
        "4 MiB; of the chunk list above), like sha256sum; stores nothing");
    auto files = std::make_shared<std::vector<std::string>>();
    cmd->add_option("files", *files, "Files")->required();
    auto threads = std::make_shared<size_t>(0);
    AddThreadsFlag(*cmd, threads);
    AddCommonFlags(*cmd, context);
    cmd->callback(DataCommand(
        context,
        [files, &global](Session&, DatasetStore& store) -> Status {
          BarProgress progress;
          std::vector<fs::path> paths(files->begin(), files->end());
          SLUICE_ASSIGN_OR_RETURN(auto entries, store.Hash(paths, &progress));
          if (global.json) {
            Json list = Json::array();
            for (const auto& e : entries) {
              list.push_back({{"path", e.path},
                              {"digest", e.digest},
                              {"size_bytes", e.size_bytes},
                              {"chunks", e.chunks.size()}});
            }
            PrintJson({{"files", list}});
            return Status();
          }
          for (const auto& e : entries) std::cout << e.digest << "  " << e.path << "\n";
          return Status();
        },
        threads));
  }
}

}  // namespace sluice::cli
