#include "datasets/internal/lease.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include "base/random.h"

namespace sluice::datasets::internal {
namespace {

using storage::Connection;
using storage::Row;

bool ProcessIsGone(const std::string& host, int64_t pid) {
  if (host != HostName() || pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

std::string_view KindName(LeaseKind kind) { return kind == LeaseKind::kGc ? "gc" : "write"; }

// Removes dead leases and returns the first live one that conflicts with `kind`, if any.
Result<std::optional<Row>> FindConflict(Connection& c, LeaseKind kind, int64_t now) {
  SLUICE_ASSIGN_OR_RETURN(
      std::vector<Row> rows,
      c.Query("SELECT id, kind, host, pid, started_at, expires_at, command FROM dataset_leases "
              "ORDER BY started_at"));
  std::optional<Row> conflict;
  for (const Row& row : rows) {
    const bool dead = row[5].AsInt() < now || ProcessIsGone(row[2].AsText(), row[3].AsInt());
    if (dead) {
      SLUICE_RETURN_IF_ERROR(c.Execute("DELETE FROM dataset_leases WHERE id = ?", {row[0]}));
      continue;
    }
    const bool conflicts = kind == LeaseKind::kGc || row[1].AsText() == "gc";
    if (conflicts && !conflict) conflict = row;
  }
  return conflict;
}

}  // namespace

std::string HostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0) return "unknown";
  return name;
}

Result<std::unique_ptr<Lease>> Lease::Acquire(storage::Database& database, const Clock& clock,
                                              LeaseKind kind, std::string command,
                                              const LeaseOptions& options) {
  const std::string id = RandomHex(32);
  const auto deadline = std::chrono::steady_clock::now() + options.wait;
  for (;;) {
    std::optional<Row> conflict;
    Status status = database.Write([&](Connection& c) -> Status {
      const int64_t now = clock.NowMillis();
      SLUICE_ASSIGN_OR_RETURN(conflict, FindConflict(c, kind, now));
      if (conflict) return Status::Ok();
      return c.Execute(
          "INSERT INTO dataset_leases (id, kind, host, pid, started_at, expires_at, command) "
          "VALUES (?, ?, ?, ?, ?, ?, ?)",
          {id, KindName(kind), HostName(), static_cast<int64_t>(::getpid()), now,
           now + options.ttl.count(), command});
    });
    SLUICE_RETURN_IF_ERROR(status);
    if (!conflict) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      const Row& row = *conflict;
      const std::string holder =
          fmt::format("'{}' (pid {} on {})", row[6].AsText(), row[3].AsInt(), row[2].AsText());
      if (row[1].AsText() == "gc") {
        return Unavailable("garbage collection {} is running; retry when it has finished", holder);
      }
      return Unavailable(
          "{} is writing to the dataset store; gc runs when no add, import or pull is running: "
          "retry when it has finished",
          holder);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return std::make_unique<Lease>(database, clock, id, options.ttl);
}

Status Lease::CheckHeld(Connection& c, const std::string& id) {
  SLUICE_ASSIGN_OR_RETURN(std::vector<Row> rows,
                          c.Query("SELECT id FROM dataset_leases WHERE id = ?", {id}));
  if (rows.empty()) {
    return Unavailable(
        "this process lost its dataset store lease (it was paused for longer than the lease "
        "time, and gc may have run meanwhile); nothing was recorded: run the command again");
  }
  return Status::Ok();
}

Status Lease::ReleaseWithin(Connection& c, const std::string& id) {
  return c.Execute("DELETE FROM dataset_leases WHERE id = ?", {id});
}

Lease::Lease(storage::Database& database, const Clock& clock, std::string id,
             std::chrono::milliseconds ttl)
    : database_(database), clock_(clock), id_(std::move(id)), ttl_(ttl) {
  renewer_ = std::jthread([this](std::stop_token stop) { RenewLoop(stop); });
}

Lease::~Lease() {
  renewer_.request_stop();
  wake_.notify_all();
  if (renewer_.joinable()) renewer_.join();
  if (released_) return;
  // Best effort: a lease left behind expires or is found dead.
  (void)database_.Write(
      [&](Connection& c) { return c.Execute("DELETE FROM dataset_leases WHERE id = ?", {id_}); });
}

void Lease::RenewLoop(std::stop_token stop) {
  std::unique_lock lock(mutex_);
  while (!stop.stop_requested()) {
    wake_.wait_for(lock, stop, ttl_ / 3, [] { return false; });
    if (stop.stop_requested()) break;
    // A failed renewal is retried at the next tick; the lease has two more ticks to live.
    (void)database_.Write([&](Connection& c) {
      return c.Execute("UPDATE dataset_leases SET expires_at = ? WHERE id = ?",
                       {clock_.NowMillis() + ttl_.count(), id_});
    });
  }
}

}  // namespace sluice::datasets::internal
