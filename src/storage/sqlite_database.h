// The embedded metadata database: a SQLite file in WAL mode behind the Database interface.
//
//   SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<Database> db, OpenSqliteDatabase(".sluice/sluice.db"));
//
// Every connection runs with journal_mode=WAL, synchronous=FULL (a Write that returned OK
// survives a power cut), foreign_keys=ON and case_sensitive_like=ON (LIKE is case-sensitive,
// as MLflow expects). Connections are pooled: one per concurrent caller, opened lazily and
// reused; each caches its prepared statements by SQL text.
//
// Group commit: with synchronous=FULL every commit costs an fsync (~4-6 ms), which would cap
// small Writes near 200/s. So concurrent Writes of one Database share a transaction: one caller
// (the leader) runs the queued callbacks one after the other, each inside its own savepoint,
// and commits them with one fsync. Each caller still gets only its own outcome: its callback's
// error rolls back only its own changes, its exception is rethrown in its own thread, a
// deferred foreign key violation fails only its Write, and Write returns OK only once the
// group is durable. What callers share is the COMMIT: if it fails (disk full, I/O error), every
// Write of the group that had succeeded fails with that error. A lone Write leads at once.
// Consequently a Write callback may run on another caller's thread (do not rely on
// thread-locals in it), sees the uncommitted changes of the Writes grouped before it (as it
// would have seen them committed), and must not wait for anything another thread does while
// that thread is inside Write (such a caller gives up after the busy timeout). Read is not
// grouped.
//
// Transactions do not nest: Write or Read called from inside another Write or Read of the same
// Database on the same thread returns kFailedPrecondition ("nested transaction") instead of
// waiting for a lock its own thread holds. Use the Connection of the outer callback.
//
// Do not carry an open Database across fork(): open it again in the child.
//
// Thread safety: thread-safe, and safe across processes sharing the file.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>

#include "base/status.h"
#include "storage/database.h"

namespace sluice::storage {

struct SqliteOptions {
  // How long a Write waits for other writers (threads or processes) before kUnavailable: for
  // the groups ahead of it in this process and for the write lock of other processes.
  std::chrono::milliseconds busy_timeout{30'000};
  // FULL syncs the WAL at every commit, so Write is durable on return. NORMAL may lose the
  // last commits on power loss (never on a process crash). Measured: 1000 one-row
  // transactions take ~4-6 s with FULL and ~60 ms with NORMAL; 100 transactions of 1000 rows
  // ~0.4 s and ~0.14 s. Batch rows into one Write rather than weaken durability.
  enum class Synchronous { kFull, kNormal };
  Synchronous synchronous = Synchronous::kFull;
  // When false a missing file is kNotFound instead of a new empty database.
  bool create_if_missing = true;
};

// Opens (or creates) the database file and checks that it is a SQLite database. kNotFound when
// the file is missing and !create_if_missing; kDataLoss when it is not a database.
Result<std::unique_ptr<Database>> OpenSqliteDatabase(const std::filesystem::path& file,
                                                     SqliteOptions options = {});

}  // namespace sluice::storage
