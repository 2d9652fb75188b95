#pragma once
// What makes the store's commits durable, off the store thread: the syncer
// that fsyncs the WAL before any caller hears "committed", and the
// checkpointer that copies the WAL into the database file. Private to
// src/store (writer.hpp drives them).
#include "asc_webhookd/core/thread_name.hpp"
#include "asc_webhookd/store/errors.hpp"
#include "sqlite.hpp"

#include <sys/statvfs.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace asc_webhookd::store {

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

}  // namespace asc_webhookd::store
