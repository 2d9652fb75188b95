#pragma once
// The SQLite store's writer: one store thread that runs queued tasks in
// batches, one transaction per batch (group commit); the syncer that makes
// each commit durable (fsync) before its callers hear of it; the
// checkpointer that copies the WAL into the database file off the store
// thread. Private to src/store; the rooms (store_*.cpp) submit tasks to it.
#include "asc_webhookd/store/sqlite_store.hpp"

#include "schema.hpp"
#include "sqlite.hpp"
#include "asc_webhookd/core/thread_name.hpp"
#include "asc_webhookd/store/errors.hpp"
#include "file_watch.hpp"

#include <sys/statvfs.h>

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

namespace asc_webhookd::store {


// "#12" names the event with seq 12 (and only that); anything else is a
// data.id. The seq, or nullopt for a data.id.
inline std::optional<std::int64_t> seq_reference(const std::string& id) {
  if (id.size() < 2 || id.size() > 19 || id[0] != '#' || id.find_first_not_of("0123456789", 1) != std::string::npos)
    return std::nullopt;
  return std::stoll(id.substr(1));
}

inline std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

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



// A background thread that waits on a condition variable; stop() wakes it
// and joins. The derived loop() checks `stopping` under `mutex`.
struct Worker {
  std::mutex mutex;
  std::condition_variable cv;
  bool stopping = false;
  std::thread thread;

  void stop() {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    cv.notify_one();
    if (thread.joinable()) thread.join();
  }
};

// Checkpoints the WAL into the database file on its own connection and
// thread, so the store thread never stalls behind one (SQLite's automatic
// checkpoint runs inside the COMMIT that crosses the threshold: a latency
// spike for every request in that batch). PASSIVE: it never blocks writers.
struct Checkpointer : Worker {
  sql::Db db;
  bool wanted = false;
  std::string dir;    // the store's directory (its volume's free space)
  int last_look = 0;  // store thread only: the WAL size (in 256 pages) last looked at

  // 40 MB of WAL between checkpoints: pages written again and again (index
  // and table tails) are copied once per checkpoint, not once per 1000
  // frames as with SQLite's default; the WAL is cut back to 64 MiB after.
  static constexpr int kPages = 10000;

  void loop() {
    std::unique_lock lock(mutex);
    while (!stopping) {
      cv.wait_for(lock, std::chrono::seconds(1), [&] { return stopping || wanted; });
      if (stopping) break;
      wanted = false;
      lock.unlock();
      sqlite3_wal_checkpoint_v2(db.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      lock.lock();
    }
  }
  void request() {
    {
      std::lock_guard lock(mutex);
      wanted = true;
    }
    cv.notify_one();
  }
};

// After each commit: checkpoint past kPages, or sooner when the WAL has
// grown past a quarter of the space left on its volume. A WAL left to fill
// a small volume could never be checkpointed again (the copy needs room in
// the database file), and no write would ever succeed there. The volume is
// looked at every 256 pages only (a statvfs, not per commit).
inline int on_wal_commit(void* arg, sqlite3*, const char*, int pages) {
  auto* cp = static_cast<Checkpointer*>(arg);
  if (pages >= Checkpointer::kPages) {
    cp->request();
  } else if (pages >= 256 && pages / 256 != cp->last_look) {
    cp->last_look = pages / 256;
    struct statvfs vs {};
    if (!cp->dir.empty() && ::statvfs(cp->dir.c_str(), &vs) == 0 &&
        static_cast<unsigned long long>(pages) * 4096ULL > static_cast<unsigned long long>(vs.f_bavail) * vs.f_frsize / 4)
      cp->request();
  }
  return SQLITE_OK;
}

// Makes commits durable off the store thread. The store connection commits
// with synchronous=NORMAL: a COMMIT writes its WAL frames and returns. This
// thread then fsyncs the WAL (its own handle on the same file, opened through
// the same VFS) and only after that runs the completions of every batch
// committed before that fsync began. So the store thread builds the next
// transaction while the disk flushes the last ones, one fsync covers every
// batch committed meanwhile, and no caller hears "committed" before its
// frames are on disk: the durability of synchronous=FULL. (fsync flushes
// the file, whichever descriptor names it; SQLite's NORMAL mode keeps the
// database consistent across a power loss, with checkpoints synced.)
struct Syncer : Worker {
  struct Completion {
    std::function<void(bool ok, const StoreError& error)> done;
    StoreError error;
  };
  std::string name;  // the WAL's path, NUL-padded as SQLite's VFS expects
  sqlite3_file* wal = nullptr;
  std::vector<Completion> waiting;
  // Tickets: each push of durable completions takes the next; an fsync
  // started after ticket N was taken covers it. `eager` completions wait
  // only for the tickets taken before them.
  std::uint64_t issued = 0;
  std::uint64_t synced = 0;
  struct Eager {
    std::uint64_t after;  // run once `synced` reaches this
    Completion completion;
  };
  std::deque<Eager> eager;
  // After a failed fsync, transactions committed meanwhile are in the WAL
  // but maybe not on disk, and later frames would follow that hole (WAL
  // recovery stops at the first bad frame). So writes are refused until the
  // store has copied the whole WAL into the database file and synced it
  // (see Impl::recover): the hole is gone before anything new is promised.
  std::atomic<bool> failed{false};
  StoreError failure;  // guarded by mutex
  StoreError failure_now() {
    std::lock_guard lock(mutex);
    return failure;
  }

  std::string open(sqlite3* db) {
    sqlite3_vfs* vfs = nullptr;
    if (sqlite3_file_control(db, "main", SQLITE_FCNTL_VFS_POINTER, &vfs) != SQLITE_OK || !vfs) return "no VFS";
    name = std::string(sqlite3_db_filename(db, "main")) + "-wal";
    name.append(4, '\0');
    wal = static_cast<sqlite3_file*>(sqlite3_malloc(vfs->szOsFile));
    if (!wal) return "out of memory";
    std::memset(wal, 0, static_cast<std::size_t>(vfs->szOsFile));
    int out = 0;
    int rc = vfs->xOpen(vfs, name.c_str(), wal, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_WAL, &out);
    if (rc != SQLITE_OK) {
      if (wal->pMethods) wal->pMethods->xClose(wal);
      sqlite3_free(wal);
      wal = nullptr;
      return std::string("cannot open the WAL for syncing: ") + sqlite3_errstr(rc);
    }
    thread = std::thread([this] {
      name_this_thread("store-fsync");
      loop();
    });
    return "";
  }
  // `durable` completions run after an fsync that covers their commit;
  // `eager` ones once every commit before theirs is covered (at once when
  // nothing earlier is waiting).
  void push(std::vector<Completion> durable, std::vector<Completion> eager_ones = {}) {
    std::vector<Completion> now;
    {
      std::lock_guard lock(mutex);
      const std::uint64_t before = issued;
      if (!durable.empty()) {
        ++issued;
        for (auto& c : durable) waiting.push_back(std::move(c));
      }
      for (auto& c : eager_ones) {
        if (synced >= before && eager.empty()) now.push_back(std::move(c));
        else eager.push_back({before, std::move(c)});
      }
    }
    if (!durable.empty()) cv.notify_one();
    for (auto& c : now) c.done(true, c.error);
  }
  void loop() {
    std::unique_lock lock(mutex);
    for (;;) {
      cv.wait(lock, [&] { return stopping || !waiting.empty(); });
      if (waiting.empty()) {  // stopping, and everything committed is synced
        for (auto& e : eager) e.completion.done(true, e.completion.error);
        eager.clear();
        return;
      }
      std::vector<Completion> batch;
      batch.swap(waiting);
      const std::uint64_t covers = issued;
      lock.unlock();
      const int rc = wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL);
      const StoreError error{make_error_code(from_sqlite(rc)),
                             rc == SQLITE_OK ? "" : std::string("store sync failed: ") + sqlite3_errstr(rc)};
      lock.lock();
      if (rc != SQLITE_OK && !failed) {
        failure = {error.code, error.message + " (writes are refused until the store's journal is synced again)"};
        failed = true;
      }
      synced = covers;
      std::vector<Completion> ready;
      while (!eager.empty() && eager.front().after <= synced) {
        ready.push_back(std::move(eager.front().completion));
        eager.pop_front();
      }
      lock.unlock();
      for (auto& c : batch) c.done(rc == SQLITE_OK, rc == SQLITE_OK ? c.error : error);
      for (auto& c : ready) c.done(rc == SQLITE_OK, rc == SQLITE_OK ? c.error : error);
      lock.lock();
    }
  }
  ~Syncer() {
    stop();
    if (wal) {
      wal->pMethods->xClose(wal);
      sqlite3_free(wal);
    }
  }
};

// The store thread: runs queued tasks in batches (see loop).
struct SqliteStore::Impl : Worker {
  sql::Db db;
  Checkpointer checkpointer;
  std::deque<Task> queue;
  std::atomic<std::uint64_t> commits{0};
  std::atomic<std::uint64_t> tasks{0};
  Syncer syncer;  // after db: closed before it
  std::string path;
  std::mutex watch_mutex;  // guards on_change against the watch thread
  std::function<void()> on_change;
  std::unique_ptr<FileWatch> watch;

  void submit(Task t) {
    {
      std::lock_guard lock(mutex);
      queue.push_back(std::move(t));
    }
    cv.notify_one();
  }

  // Runs `f(db)` on the store thread in its own transaction and returns its
  // value once durable, or why it is not; for the blocking, low-rate calls.
  template <class F>
  auto run_sync(F f) -> StoreResult<decltype(f(db))> {
    using T = decltype(f(db));
    auto p = std::make_shared<std::promise<StoreResult<T>>>();
    auto fut = p->get_future();
    auto value = std::make_shared<std::optional<T>>();
    submit({[f = std::move(f), value](sql::Db& d, std::string&) mutable {
              *value = f(d);
              return true;
            },
            [p, value](bool ok, const StoreError& error) {
              if (ok && *value) p->set_value(std::move(**value));
              else p->set_value(error);
            }});
    return fut.get();
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
