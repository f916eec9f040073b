// Leases in the metadata database that keep garbage collection and writers apart: any number of
// writers (add, import, pull) may hold a write lease at once, gc holds the only lease while it
// runs. A holder renews its lease from a background thread; a lease whose time ran out, or whose
// process is gone (same host, no such pid), is ignored and removed by the next acquirer, so a
// process killed with -9 blocks nobody for long.
//
// Thread safety: a Lease is owned by one thread; its renewal thread is internal.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/clock.h"
#include "base/status.h"
#include "storage/database.h"

namespace sluice::datasets::internal {

enum class LeaseKind { kWrite, kGc };

struct LeaseOptions {
  // A lease not renewed for this long is considered abandoned.
  std::chrono::milliseconds ttl{60'000};
  // How long Acquire keeps retrying while a conflicting lease is held before kUnavailable.
  std::chrono::milliseconds wait{60'000};
};

class Lease {
 public:
  // kUnavailable, naming the holder, when a conflicting live lease is still held after
  // options.wait. `command` is shown to whoever waits ("add data/churn.csv").
  static Result<std::unique_ptr<Lease>> Acquire(storage::Database& database, const Clock& clock,
                                                LeaseKind kind, std::string command,
                                                const LeaseOptions& options);
  // Releases the lease (best effort; an unreleased lease expires).
  ~Lease();
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  const std::string& id() const { return id_; }

  // Inside a write transaction: OK while this lease is still recorded. A lease that lapsed
  // (the process was paused longer than the ttl) may have been removed by a gc that then ran, so
  // its holder must not record anything that relies on what it saw before: kUnavailable.
  static Status CheckHeld(storage::Connection& c, const std::string& id);
  // Inside a write transaction: removes the lease `id`, so that the transaction that records the
  // holder's work also releases it (one commit, one fsync, instead of two). After that
  // transaction commits, the holder calls Released(), and the destructor writes nothing.
  static Status ReleaseWithin(storage::Connection& c, const std::string& id);
  void Released() { released_ = true; }

  Lease(storage::Database& database, const Clock& clock, std::string id,
        std::chrono::milliseconds ttl);

 private:
  void RenewLoop(std::stop_token stop);

  storage::Database& database_;
  const Clock& clock_;
  const std::string id_;
  const std::chrono::milliseconds ttl_;
  bool released_ = false;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::jthread renewer_;  // last: stops before the members it uses go
};

// This host's name, as leases record it.
std::string HostName();

}  // namespace sluice::datasets::internal
