#pragma once
// The SQLite store's writer: one store thread that runs queued tasks in
// batches, one transaction per batch (group commit), handing each commit to
// the syncer and the checkpointer (durability.hpp). Private to src/store;
// the operations (store_*.cpp) submit tasks to it.
#include "asc_webhookd/store/sqlite_store.hpp"

#include "schema.hpp"
#include "sqlite.hpp"
#include "asc_webhookd/core/thread_name.hpp"
#include "asc_webhookd/store/errors.hpp"
#include "durability.hpp"
#include "file_watch.hpp"
#include "seq_reference.hpp"
#include "change_notice.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>

namespace asc_webhookd::store {


// One unit of work for the store thread. `work` runs inside the batch's
// transaction (in its own savepoint); `done` runs after the commit with
// whether the task's changes are durable.
struct Task {
  std::function<bool(sql::Db&, std::string& error)> work;
  std::function<void(bool ok, const StoreError& error)> done;
  // false: `done` need not wait for this task's own changes to be durable,
  // only for every earlier commit's (a lease, a read): what it saw was
  // promised to someone, what it changed can be lost in a crash (a leased
  // job is pending again at restart). It saves an fsync wait per job.
  bool durable = true;
};

inline constexpr std::size_t kMaxBatch = 1024;

// The store thread: runs queued tasks in batches (see loop).
struct SqliteStore::Impl : Worker {
  sql::Db db;
  Checkpointer checkpointer;
  std::deque<Task> queue;
  std::atomic<std::uint64_t> commits{0};
  std::atomic<std::uint64_t> tasks{0};
  Syncer syncer;  // after db: closed before it
  std::string path;
  SystemClock system_clock;
  const Clock* clock = &system_clock;  // SqliteOptions::clock
  ChangeNotice notice;  // watch_changes' callback
  std::unique_ptr<FileWatch> watch;

  void submit(Task t) {
    {
      std::lock_guard lock(mutex);
      queue.push_back(std::move(t));
    }
    cv.notify_one();
  }

  // Queues `f(db)` for the store thread (it runs in the next batch's
  // transaction) and answers `done` with its value once committed, and
  // once durable unless `durable` is false; or with why not, where the
  // reason defaults to `not_committed`. How every operation reaches the
  // writer.
  template <class T, class F>
  void submit_for(F f, Completion<T> done, bool durable, const char* not_committed) {
    auto failed = [not_committed](const StoreError& e) {
      StoreError why = e;
      if (why.message.empty()) why.message = not_committed;
      return why;
    };
    if constexpr (std::is_void_v<T>) {
      submit({[f = std::move(f)](sql::Db& d, std::string&) mutable {
                f(d);
                return true;
              },
              [done = std::move(done), failed](bool ok, const StoreError& e) {
                if (ok) done(StoreResult<void>());
                else done(failed(e));
              },
              durable});
    } else {
      auto value = std::make_shared<std::optional<T>>();
      submit({[f = std::move(f), value](sql::Db& d, std::string&) mutable {
                *value = f(d);
                return true;
              },
              [value, done = std::move(done), failed](bool ok, const StoreError& e) {
                if (ok && *value) done(std::move(**value));
                else done(failed(e));
              },
              durable});
    }
  }

  // Runs `f(db)` on the store thread in its own transaction and returns its
  // value once durable, or why it is not; for the blocking, low-rate calls.
  template <class F>
  auto run_sync(F f) -> StoreResult<decltype(f(db))> {
    using T = decltype(f(db));
    std::promise<StoreResult<T>> p;
    auto fut = p.get_future();
    submit_for<T>(std::move(f), [&p](StoreResult<T> r) { p.set_value(std::move(r)); }, true, "the store did not commit");
    return fut.get();
  }

  // Runs `f(db)` on the calling thread, on the read-only connection, inside
  // one deferred transaction: a snapshot of the last commit that never
  // takes the write lock (WAL readers and the writer do not wait for each
  // other). For the views people ask for; one at a time per store.
  std::mutex read_mutex;
  sql::Db reader;
  bool reader_open = false;
  std::string vfs;
  template <class F>
  auto read(F f) -> StoreResult<decltype(f(reader))> {
    std::lock_guard lock(read_mutex);
    if (!reader_open) {
      if (auto e = reader.open(path, vfs, /*read_only=*/true); !e.empty())
        return StoreError{make_error_code(errc::failed), "cannot open the store for reading: " + e};
      reader.exec("PRAGMA busy_timeout=5000");
      reader_open = true;
    }
    if (auto e = reader.exec("BEGIN"); !e.empty())
      return StoreError{make_error_code(from_sqlite(sqlite3_extended_errcode(reader.handle()))), e};
    try {
      auto value = f(reader);
      reader.exec("COMMIT");
      return value;
    } catch (const std::exception& e) {
      StoreError why{make_error_code(from_sqlite(sqlite3_extended_errcode(reader.handle()))), e.what()};
      reader.exec("ROLLBACK");
      return why;
    }
  }

  // Why the last statement on the store connection failed, as a code.
  boost::system::error_code last_code() { return make_error_code(from_sqlite(sqlite3_extended_errcode(db.handle()))); }

  void loop() {
    for (;;) {
      std::vector<Task> batch;
      {
        std::unique_lock lock(mutex);
        cv.wait(lock, [&] { return stopping || !queue.empty(); });
        if (queue.empty()) return;  // stopping, and everything queued has run
        while (!queue.empty() && batch.size() < kMaxBatch) {
          batch.push_back(std::move(queue.front()));
          queue.pop_front();
        }
      }
      run_batch(batch);
    }
  }

  // One transaction for the whole batch: one fsync however many tasks.
  // Tasks run without savepoints (they cost two statements each); if one
  // fails, the batch is rolled back and each task is run again in its own
  // transaction, so one bad task cannot sink the others.
  void run_batch(std::vector<Task>& batch) {
    if (syncer.failed && !recover()) {
      const StoreError why = syncer.failure_now();
      for (auto& t : batch) t.done(false, why);
      return;
    }
    std::vector<std::string> errors(batch.size());
    std::string err = exec_cached("BEGIN IMMEDIATE");
    boost::system::error_code code = err.empty() ? boost::system::error_code{} : last_code();
    bool task_failed = false;
    if (err.empty()) {
      for (std::size_t i = 0; i < batch.size() && !task_failed; ++i) task_failed = !run_task(batch[i], errors[i]);
      if (task_failed) {
        code = last_code();  // before ROLLBACK clears it
        exec_cached("ROLLBACK");
      } else {
        err = exec_cached("COMMIT");
        if (!err.empty()) {
          code = last_code();
          exec_cached("ROLLBACK");
        }
      }
    }
    if (task_failed && batch.size() > 1) {
      for (auto& t : batch) {
        std::vector<Task> one;
        one.push_back(std::move(t));
        run_batch(one);
      }
      return;
    }
    if (!err.empty()) {
      const StoreError why{code, "store commit failed: " + err};
      if ((sqlite3_extended_errcode(db.handle()) & 0xff) == SQLITE_FULL || err.find("full") != std::string::npos)
        checkpointer.request();  // see on_full
      for (auto& t : batch) t.done(false, why);
      return;
    }
    if (task_failed) {  // a batch of one whose task failed: rolled back, nothing kept
      if (errors[0].find("full") != std::string::npos) checkpointer.request();  // see on_full
      batch[0].done(false, {code, errors[0]});
      return;
    }
    ++commits;
    tasks += batch.size();
    std::vector<Syncer::Completion> committed, eager;
    committed.reserve(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i)
      (batch[i].durable ? committed : eager).push_back({std::move(batch[i].done), StoreError{{}, std::move(errors[i])}});
    syncer.push(std::move(committed), std::move(eager));
  }

  bool run_task(Task& t, std::string& error) {
    try {
      return t.work(db, error);
    } catch (const std::exception& e) {
      error = e.what();
      return false;
    }
  }

  // After a failed fsync: a TRUNCATE checkpoint syncs the WAL, copies all of
  // it into the database file, syncs that and empties the WAL. Only when it
  // completes are writes taken again.
  bool recover() {
    int log = -1, copied = -1;
    int rc = sqlite3_wal_checkpoint_v2(db.handle(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, &log, &copied);
    if (rc != SQLITE_OK || log != copied) return false;
    syncer.failed = false;
    return true;
  }

  // on_full: a disk that fills (a small volume, another process) stops
  // commits; the WAL can then be holding most of that space, and it is
  // checkpointed only past kPages, which it may never reach there. So a
  // failed write asks for a checkpoint at once: once the WAL is copied into
  // the database file, the next commit starts the WAL from its beginning
  // instead of growing it, and writes resume as soon as space is free.

  // Transaction control through the statement cache (no re-parsing).
  std::string exec_cached(const char* sql) {
    auto s = db.stmt(sql);
    int rc = s.step();
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? std::string() : db.error();
  }
};

}  // namespace asc_webhookd::store
