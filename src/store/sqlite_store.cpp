#include "asc_webhookd/store/sqlite_store.hpp"

#include "file_watch.hpp"
#include "schema.hpp"
#include "sqlite.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

namespace asc_webhookd::store {

namespace {

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One unit of work for the store thread. `work` runs inside the batch's
// transaction (in its own savepoint); `done` runs after the commit with
// whether the task's changes are durable.
struct Task {
  std::function<bool(sql::Db&, std::string& error)> work;
  std::function<void(bool ok, const std::string& error)> done;
};

constexpr std::size_t kMaxBatch = 1024;

}  // namespace

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

int on_wal_commit(void* arg, sqlite3*, const char*, int pages) {
  if (pages >= Checkpointer::kPages) static_cast<Checkpointer*>(arg)->request();
  return SQLITE_OK;
}

namespace {

// Per order key, only the job that no pending or running job of the same
// key precedes (by id) is `ready`; only ready jobs are indexed for leasing.
// After a job of key K changes state, K's head is found with two index
// seeks and the flag set on it and cleared on the changed job if needed.
void refresh_head(sql::Db& db, std::int64_t changed_id, const std::string& order_key) {
  std::int64_t head = INT64_MAX;
  {
    auto m = db.stmt(
        "SELECT min(coalesce((SELECT min(id) FROM jobs WHERE order_key = ?1 AND state = 'pending'), ?2),"
        "           coalesce((SELECT min(id) FROM jobs WHERE order_key = ?1 AND state = 'running'), ?2))");
    m.bind(1, order_key).bind(2, INT64_MAX);
    if (m.step() == SQLITE_ROW) head = m.i64(0);
  }
  // By rowid, one row each (with `id IN (..)` the planner may walk the
  // state index instead).
  if (changed_id != head) {
    auto clear = db.stmt("UPDATE jobs SET ready = 0 WHERE id = ?1 AND state = 'pending' AND ready = 1");
    clear.bind(1, changed_id);
    if (clear.step() != SQLITE_DONE) throw std::runtime_error(db.error());
  }
  auto set = db.stmt("UPDATE jobs SET ready = 1 WHERE id = ?1 AND state = 'pending' AND ready = 0");
  set.bind(1, head);
  if (set.step() != SQLITE_DONE) throw std::runtime_error(db.error());
}

// Steps `update`, an UPDATE of job `job_id` ending in `RETURNING order_key`,
// then refreshes that key's head (nothing when no row matched).
void update_job(sql::Db& db, sql::Stmt& update, std::int64_t job_id) {
  const int rc = update.step();
  if (rc == SQLITE_DONE) return;
  if (rc != SQLITE_ROW) throw std::runtime_error(db.error());
  const std::string key = update.text(0);
  update.step();
  refresh_head(db, job_id, key);
}

// Steps `update`, an UPDATE of several jobs ending in `RETURNING order_key`,
// then recomputes every key it touched as a whole (several of a key's jobs
// may have changed at once: requeued by an operator, resumed after a
// crash). Returns how many jobs it changed.
std::size_t update_jobs(sql::Db& db, sql::Stmt& update) {
  std::vector<std::string> keys;
  while (update.step() == SQLITE_ROW) keys.push_back(update.text(0));
  const std::size_t changed = keys.size();
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  for (const auto& key : keys) {
    auto u = db.stmt(
        "UPDATE jobs SET ready = NOT EXISTS (SELECT 1 FROM jobs k WHERE k.order_key = jobs.order_key"
        " AND k.state IN ('pending', 'running') AND k.id < jobs.id) WHERE order_key = ?1 AND state = 'pending'");
    u.bind(1, key);
    if (u.step() != SQLITE_DONE) throw std::runtime_error(db.error());
  }
  return changed;
}

}  // namespace

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
    std::function<void(bool ok, const std::string& error)> done;
    std::string error;
  };
  std::string name;  // the WAL's path, NUL-padded as SQLite's VFS expects
  sqlite3_file* wal = nullptr;
  std::vector<Completion> waiting;
  // After a failed fsync, transactions committed meanwhile are in the WAL
  // but maybe not on disk, and later frames would follow that hole (WAL
  // recovery stops at the first bad frame). So writes are refused until the
  // store has copied the whole WAL into the database file and synced it
  // (see Impl::recover): the hole is gone before anything new is promised.
  std::atomic<bool> failed{false};
  std::string failure;  // guarded by mutex
  std::string failure_text() {
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
    thread = std::thread([this] { loop(); });
    return "";
  }
  void push(std::vector<Completion> batch) {
    {
      std::lock_guard lock(mutex);
      for (auto& c : batch) waiting.push_back(std::move(c));
    }
    cv.notify_one();
  }
  void loop() {
    std::unique_lock lock(mutex);
    for (;;) {
      cv.wait(lock, [&] { return stopping || !waiting.empty(); });
      if (waiting.empty()) return;  // stopping, and everything committed is synced
      std::vector<Completion> batch;
      batch.swap(waiting);
      lock.unlock();
      const int rc = wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL);
      const std::string error = rc == SQLITE_OK ? "" : std::string("store sync failed: ") + sqlite3_errstr(rc);
      lock.lock();
      if (rc != SQLITE_OK && !failed) {
        failure = error + " (writes are refused until the store's journal is synced again)";
        failed = true;
      }
      lock.unlock();
      for (auto& c : batch) c.done(rc == SQLITE_OK, rc == SQLITE_OK ? c.error : error);
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
  // value; for the blocking, low-rate calls.
  template <class F>
  auto run_sync(F f) -> decltype(f(db)) {
    using T = decltype(f(db));
    auto p = std::make_shared<std::promise<T>>();
    auto fut = p->get_future();
    auto value = std::make_shared<std::optional<T>>();
    submit({[f = std::move(f), value](sql::Db& d, std::string&) mutable {
              *value = f(d);
              return true;
            },
            [p, value](bool ok, const std::string&) {
              p->set_value(ok && *value ? std::move(**value) : T{});
            }});
    return fut.get();
  }

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
      const std::string why = syncer.failure_text();
      for (auto& t : batch) t.done(false, why);
      return;
    }
    std::vector<std::string> errors(batch.size());
    std::string err = exec_cached("BEGIN IMMEDIATE");
    bool task_failed = false;
    if (err.empty()) {
      for (std::size_t i = 0; i < batch.size() && !task_failed; ++i) task_failed = !run_task(batch[i], errors[i]);
      if (task_failed) {
        exec_cached("ROLLBACK");
      } else {
        err = exec_cached("COMMIT");
        if (!err.empty()) exec_cached("ROLLBACK");
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
      for (auto& t : batch) t.done(false, "store commit failed: " + err);
      return;
    }
    if (task_failed) {  // a batch of one whose task failed: rolled back, nothing kept
      batch[0].done(false, errors[0]);
      return;
    }
    ++commits;
    tasks += batch.size();
    std::vector<Syncer::Completion> committed;
    committed.reserve(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) committed.push_back({std::move(batch[i].done), std::move(errors[i])});
    syncer.push(std::move(committed));
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

  // Transaction control through the statement cache (no re-parsing).
  std::string exec_cached(const char* sql) {
    auto s = db.stmt(sql);
    int rc = s.step();
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? std::string() : db.error();
  }
};

Result<std::unique_ptr<SqliteStore>, Error> SqliteStore::open(const SqliteOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->path = options.path;
  if (auto e = impl->db.open(options.path, options.vfs); !e.empty())
    return Error{"cannot open the store " + options.path + ": " + e};
  // WAL + synchronous=NORMAL: a COMMIT returns once its frames are written;
  // the Syncer fsyncs them before anyone is told (see Syncer).
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON",
                             "PRAGMA journal_size_limit=67108864",
                             "PRAGMA busy_timeout=5000"}) {
    if (auto e = impl->db.exec(pragma); !e.empty())
      return Error{"cannot open the store " + options.path + ": " + e};
  }
  std::int64_t version = 0;
  {
    auto s = impl->db.stmt("PRAGMA user_version");
    if (s.step() == SQLITE_ROW) version = s.i64(0);
  }
  if (version > kSchemaVersion)
    return Error{"the store " + options.path + " has schema version " + std::to_string(version) +
                 ", newer than this asc-webhookd understands (" + std::to_string(kSchemaVersion) + ")"};
  if (version < kSchemaVersion) {
    std::string e = impl->db.exec("BEGIN IMMEDIATE");
    for (auto v = version; e.empty() && v < kSchemaVersion; ++v) e = impl->db.exec(schema::kMigrations[v]);
    if (e.empty()) e = impl->db.exec(("PRAGMA user_version=" + std::to_string(kSchemaVersion)).c_str());
    if (e.empty()) e = impl->db.exec("COMMIT");
    if (!e.empty()) {
      impl->db.exec("ROLLBACK");
      return Error{"cannot create the schema in " + options.path + ": " + e};
    }
  }
  if (auto e = impl->syncer.open(impl->db.handle()); !e.empty())
    return Error{"cannot open the store " + options.path + ": " + e};
  // Background checkpoints: a second connection to the same file.
  if (impl->checkpointer.db.open(options.path, options.vfs).empty()) {
    impl->checkpointer.db.exec("PRAGMA busy_timeout=1000");
    impl->checkpointer.db.exec("PRAGMA journal_mode=WAL");  // reads the header: the connection now knows the WAL
    sqlite3_wal_hook(impl->db.handle(), on_wal_commit, &impl->checkpointer);  // replaces the automatic checkpoint
    auto* cp = &impl->checkpointer;
    cp->thread = std::thread([cp] { cp->loop(); });
  }
  auto* raw = impl.get();
  impl->thread = std::thread([raw] { raw->loop(); });
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(impl)));
}

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SqliteStore::~SqliteStore() {
  impl_->watch.reset();  // joins its thread: no more calls
  impl_->checkpointer.stop();
  impl_->stop();  // runs every queued task first
  impl_->syncer.stop();  // runs the completions of the last commits
}

bool SqliteStore::watch_changes(std::function<void()> changed) {
  {
    std::lock_guard lock(impl_->watch_mutex);
    impl_->on_change = std::move(changed);
  }
  if (!impl_->watch && impl_->on_change) {
    auto* impl = impl_.get();
    impl_->watch = std::make_unique<FileWatch>(impl_->path, [impl] {
      std::lock_guard lock(impl->watch_mutex);
      if (impl->on_change) impl->on_change();
    });
  }
  return impl_->watch && impl_->watch->ok();
}

std::uint64_t SqliteStore::commits() const { return impl_->commits; }
std::uint64_t SqliteStore::tasks() const { return impl_->tasks; }

void SqliteStore::ingest_async(NewEvent ev, IngestCallback done) {
  auto result = std::make_shared<IngestResult>();
  auto input = std::make_shared<NewEvent>(std::move(ev));
  impl_->submit(
      {[input, result](sql::Db& db, std::string&) {
         const auto& e = input->event;
         auto ins = db.stmt(
             "INSERT INTO events (webhook, event_id, type, old_state, new_state, instance_type, instance_id, "
             "event_time, received_at, raw) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
             "ON CONFLICT (webhook, event_id) DO NOTHING RETURNING seq");
         ins.bind(1, input->webhook).bind(2, e.id).bind(3, e.type_name).bind(4, e.old_state).bind(5, e.new_state);
         ins.bind(6, e.instance ? std::optional<std::string>(e.instance->type) : std::nullopt);
         ins.bind(7, e.instance ? std::optional<std::string>(e.instance->id) : std::nullopt);
         ins.bind(8, e.timestamp ? std::optional<std::int64_t>(e.timestamp->unix_nanos) : std::nullopt);
         ins.bind(9, input->received_at_ms).bind(10, e.raw);
         int rc = ins.step();
         if (rc == SQLITE_DONE) {  // the conflict: seen before, plan nothing
           result->status = IngestStatus::duplicate;
           return true;
         }
         if (rc != SQLITE_ROW) throw std::runtime_error(db.error());
         const std::int64_t seq = ins.i64(0);
         result->event_seq = seq;
         if (ins.step() != SQLITE_DONE) throw std::runtime_error(db.error());
         for (const auto& j : input->jobs) {
           auto s = db.stmt(
               "INSERT INTO jobs (event_seq, rule, action_index, kind, action, order_key, state, next_at, created_at,"
               " ready) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?7, NOT EXISTS (SELECT 1 FROM jobs"
               " WHERE order_key = ?6 AND state IN ('pending', 'running')))");
           s.bind(1, seq).bind(2, j.rule).bind(3, j.action_index).bind(4, j.kind).bind(5, j.action_json);
           s.bind(6, j.order_key).bind(7, input->received_at_ms);
           if (s.step() != SQLITE_DONE) throw std::runtime_error(db.error());
         }
         if (e.instance && e.new_state) {
           auto h = db.stmt(
               "INSERT INTO history (webhook, instance_id, state, event_time, received_at, event_seq) "
               "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
           h.bind(1, input->webhook).bind(2, e.instance->id).bind(3, *e.new_state);
           h.bind(4, e.timestamp ? std::optional<std::int64_t>(e.timestamp->unix_nanos) : std::nullopt);
           h.bind(5, input->received_at_ms).bind(6, seq);
           if (h.step() != SQLITE_DONE) throw std::runtime_error(db.error());
         }
         result->status = IngestStatus::accepted;
         result->jobs = input->jobs.size();
         return true;
       },
       [result, done = std::move(done)](bool ok, const std::string& error) {
         if (!ok) {
           result->status = IngestStatus::failed;
           result->error = error;
         }
         done(*result);
       }});
}

void SqliteStore::lease_async(std::int64_t now_ms, std::int64_t lease_ms, std::size_t max_jobs,
                              std::function<void(LeaseBatch)> done) {
  auto result = std::make_shared<LeaseBatch>();
  impl_->submit(
      {[result, now_ms, lease_ms, max_jobs](sql::Db& db, std::string&) {
         // Due: running with an expired lease (its worker died), or pending,
         // ready (no earlier job of its order key is pending or running: the
         // per-instance order) and its time has come. Two index walks rather
         // than one OR; only ready jobs are in the second index, so a backlog
         // waiting behind a job in backoff is never walked. A key has at most
         // one ready job, so one batch never holds two jobs of one key.
         std::vector<std::int64_t> ids;
         {
           auto expired = db.stmt("SELECT id FROM jobs WHERE state = 'running' AND lease_until <= ?1 LIMIT ?2");
           expired.bind(1, now_ms).bind(2, static_cast<std::int64_t>(max_jobs));
           while (expired.step() == SQLITE_ROW) ids.push_back(expired.i64(0));
         }
         if (ids.size() < max_jobs) {
           auto due = db.stmt(
               "SELECT id FROM jobs WHERE state = 'pending' AND ready = 1 AND next_at <= ?1"
               " ORDER BY next_at, id LIMIT ?2");
           due.bind(1, now_ms).bind(2, static_cast<std::int64_t>(max_jobs - ids.size()));
           while (due.step() == SQLITE_ROW) ids.push_back(due.i64(0));
         }
         for (auto id : ids) {
           auto s = db.stmt(
               "UPDATE jobs SET state = 'running', lease_until = ?2 + ?3 WHERE id = ?1"
               " RETURNING id, event_seq, rule, action_index, kind, action, attempts, created_at");
           s.bind(1, id).bind(2, now_ms).bind(3, lease_ms);
           if (s.step() != SQLITE_ROW) throw std::runtime_error(db.error());
           LeasedJob j;
           j.id = s.i64(0);
           j.event_seq = s.i64(1);
           j.rule = s.text(2);
           j.action_index = static_cast<int>(s.i64(3));
           j.kind = s.text(4);
           j.action_json = s.text(5);
           j.attempts = static_cast<int>(s.i64(6));
           j.created_at_ms = s.i64(7);
           s.step();
           auto e = db.stmt("SELECT webhook, raw FROM events WHERE seq = ?1");
           e.bind(1, j.event_seq);
           if (e.step() == SQLITE_ROW) {
             j.webhook = e.text(0);
             j.raw_event = e.text(1);
           }
           result->jobs.push_back(std::move(j));
         }
         if (!result->jobs.empty()) return true;
         // The next time something becomes due. A job waiting behind an
         // earlier one of its order key does not count: it is freed when
         // that one is recorded, by the worker that records it.
         auto n = db.stmt(
             "SELECT min(t) FROM (SELECT min(next_at) AS t FROM jobs WHERE state = 'pending' AND ready = 1"
             " UNION ALL SELECT min(lease_until) FROM jobs WHERE state = 'running')");
         if (n.step() == SQLITE_ROW && !n.is_null(0)) result->next_due_ms = n.i64(0);
         return true;
       },
       [result, done = std::move(done)](bool ok, const std::string&) {
         if (!ok) *result = LeaseBatch{};
         done(std::move(*result));
       }});
}

void SqliteStore::release_async(std::vector<std::int64_t> ids, std::function<void(bool ok)> done) {
  impl_->submit({[ids = std::move(ids)](sql::Db& db, std::string&) {
                   for (auto id : ids) {
                     auto s = db.stmt(
                         "UPDATE jobs SET state = 'pending', lease_until = NULL WHERE id = ?1 AND state = 'running'"
                         " RETURNING order_key");
                     s.bind(1, id);
                     update_job(db, s, id);
                   }
                   return true;
                 },
                 [done = std::move(done)](bool ok, const std::string&) { done(ok); }});
}

void SqliteStore::record_async(std::int64_t job_id, Attempt attempt, JobOutcome outcome, std::int64_t next_at_ms,
                               std::function<void(bool ok)> done) {
  auto a = std::make_shared<Attempt>(std::move(attempt));
  impl_->submit({[job_id, a, outcome, next_at_ms](sql::Db& db, std::string&) {
                   auto ins = db.stmt(
                       "INSERT INTO attempts (job_id, started_at, duration_ms, http_status, error, outcome, detail)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
                   ins.bind(1, job_id).bind(2, a->started_at_ms).bind(3, a->duration_ms);
                   if (a->http_status) ins.bind(4, std::int64_t{*a->http_status});
                   else ins.bind_null(4);
                   ins.bind(5, a->error).bind(6, a->outcome);
                   if (a->detail.empty()) ins.bind_null(7);
                   else ins.bind(7, a->detail);
                   if (ins.step() != SQLITE_DONE) throw std::runtime_error(db.error());
                   const char* state = outcome == JobOutcome::done ? "done" : outcome == JobOutcome::dead ? "dead" : "pending";
                   auto up = db.stmt(
                       "UPDATE jobs SET state = ?2, attempts = attempts + 1, next_at = ?3, lease_until = NULL,"
                       " last_error = ?4 WHERE id = ?1 RETURNING order_key");
                   up.bind(1, job_id).bind(2, state).bind(3, next_at_ms).bind(4, a->error);
                   update_job(db, up, job_id);  // done or dead: the next of its key is ready
                   return true;
                 },
                 [done = std::move(done)](bool ok, const std::string&) { done(ok); }});
}

void SqliteStore::history_async(std::string webhook, std::string instance_id,
                                std::function<void(std::vector<HistoryEntry>)> done) {
  auto out = std::make_shared<std::vector<HistoryEntry>>();
  impl_->submit({[webhook = std::move(webhook), instance_id = std::move(instance_id), out](sql::Db& db, std::string&) {
                   auto s = db.stmt(
                       "SELECT state, event_time, received_at FROM history WHERE webhook = ?1 AND instance_id = ?2"
                       " ORDER BY coalesce(event_time, received_at * 1000000), id");
                   s.bind(1, webhook).bind(2, instance_id);
                   while (s.step() == SQLITE_ROW)
                     out->push_back({s.text(0), s.is_null(1) ? std::nullopt : std::optional<std::int64_t>(s.i64(1)), s.i64(2)});
                   return true;
                 },
                 [out, done = std::move(done)](bool, const std::string&) { done(std::move(*out)); }});
}

void SqliteStore::kv_get_async(std::string key, std::function<void(std::optional<std::string>)> done) {
  auto value = std::make_shared<std::optional<std::string>>();
  impl_->submit({[key = std::move(key), value](sql::Db& db, std::string&) {
                   auto s = db.stmt("SELECT value FROM kv WHERE key = ?1");
                   s.bind(1, key);
                   if (s.step() == SQLITE_ROW) *value = s.text(0);
                   return true;
                 },
                 [value, done = std::move(done)](bool ok, const std::string&) { done(ok ? std::move(*value) : std::nullopt); }});
}

void SqliteStore::kv_put_async(std::string key, std::string value, std::function<void(bool ok)> done) {
  impl_->submit({[key = std::move(key), value = std::move(value)](sql::Db& db, std::string&) {
                   auto s = db.stmt(
                       "INSERT INTO kv (key, value, updated_at) VALUES (?1, ?2, ?3)"
                       " ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at");
                   s.bind(1, key).bind(2, value).bind(3, wall_ms());
                   if (s.step() != SQLITE_DONE) throw std::runtime_error(db.error());
                   return true;
                 },
                 [done = std::move(done)](bool ok, const std::string&) { done(ok); }});
}

std::size_t SqliteStore::recover_running() {
  return impl_->run_sync([](sql::Db& db) {
    auto s = db.stmt("UPDATE jobs SET state = 'pending', lease_until = NULL WHERE state = 'running' RETURNING order_key");
    return update_jobs(db, s);
  });
}

std::size_t SqliteStore::prune(std::int64_t before_ms) {
  return impl_->run_sync([before_ms](sql::Db& db) {
    // Events are numbered in arrival order: walk from the oldest to the
    // first one received after the cutoff (no index on received_at to keep
    // up at ingest), and delete the done ones before it.
    std::int64_t bound = INT64_MAX;
    auto first = db.stmt("SELECT seq FROM events WHERE received_at >= ?1 ORDER BY seq LIMIT 1");
    first.bind(1, before_ms);
    if (first.step() == SQLITE_ROW) bound = first.i64(0);
    auto s = db.stmt(
        "DELETE FROM events WHERE seq < ?2 AND received_at < ?1 AND NOT EXISTS"
        " (SELECT 1 FROM jobs WHERE jobs.event_seq = events.seq AND jobs.state != 'done')");
    s.bind(1, before_ms).bind(2, bound);
    s.step();
    auto n = static_cast<std::size_t>(db.changes());
    auto kv = db.stmt("DELETE FROM kv WHERE key LIKE 'progress:%' AND updated_at < ?1");
    kv.bind(1, before_ms);
    kv.step();
    return n;
  });
}

std::size_t SqliteStore::retry(const std::string& id, std::int64_t now_ms) {
  return impl_->run_sync([&](sql::Db& db) {
    // A job id, an event seq, or an event's data.id: all its dead jobs.
    auto s = db.stmt(
        "UPDATE jobs SET state = 'pending', attempts = 0, next_at = ?2, created_at = ?2, lease_until = NULL"
        " WHERE state = 'dead' AND (CAST(id AS TEXT) = ?1 OR event_seq IN"
        " (SELECT seq FROM events WHERE CAST(seq AS TEXT) = ?1 OR event_id = ?1)) RETURNING order_key");
    s.bind(1, id).bind(2, now_ms);
    return update_jobs(db, s);  // a requeued job goes before later jobs of its key that have not started
  });
}

namespace {

constexpr const char* kEventState =
    "CASE WHEN EXISTS (SELECT 1 FROM jobs j WHERE j.event_seq = e.seq AND j.state = 'dead') THEN 'dead'"
    " WHEN EXISTS (SELECT 1 FROM jobs j WHERE j.event_seq = e.seq AND j.state IN ('pending', 'running')) THEN 'pending'"
    " ELSE 'done' END";

EventView read_event_row(sql::Stmt& s) {
  EventView v;
  v.seq = s.i64(0);
  v.webhook = s.text(1);
  v.event_id = s.text(2);
  v.type = s.text(3);
  v.old_state = s.text(4);
  v.new_state = s.text(5);
  v.received_at_ms = s.i64(6);
  v.state = s.text(7);
  v.raw = s.text(8);
  return v;
}

}  // namespace

std::vector<EventView> SqliteStore::events(const std::string& state, std::size_t limit) {
  return impl_->run_sync([&](sql::Db& db) {
    static const std::string q = std::string("SELECT * FROM (SELECT e.seq, e.webhook, e.event_id, e.type, e.old_state,"
                                             " e.new_state, e.received_at, ") +
                                 kEventState + " AS st, '' FROM events e) WHERE (?1 = '' OR st = ?1)" +
                                 " ORDER BY seq DESC LIMIT ?2";
    std::vector<EventView> out;
    auto s = db.stmt(q.c_str());
    s.bind(1, state).bind(2, static_cast<std::int64_t>(limit));
    while (s.step() == SQLITE_ROW) out.push_back(read_event_row(s));
    return out;
  });
}

std::optional<EventView> SqliteStore::event(const std::string& id) {
  return impl_->run_sync([&](sql::Db& db) -> std::optional<EventView> {
    static const std::string q = std::string("SELECT e.seq, e.webhook, e.event_id, e.type, e.old_state, e.new_state,"
                                             " e.received_at, ") +
                                 kEventState + ", e.raw FROM events e WHERE CAST(e.seq AS TEXT) = ?1 OR e.event_id = ?1"
                                               " ORDER BY e.seq DESC LIMIT 1";
    auto s = db.stmt(q.c_str());
    s.bind(1, id);
    if (s.step() != SQLITE_ROW) return std::nullopt;
    EventView v = read_event_row(s);
    auto j = db.stmt(
        "SELECT id, rule, action_index, kind, state, attempts, next_at, coalesce(last_error, ''), action"
        " FROM jobs WHERE event_seq = ?1 ORDER BY id");
    j.bind(1, v.seq);
    while (j.step() == SQLITE_ROW) {
      JobView jv{j.i64(0), j.text(1), static_cast<int>(j.i64(2)), j.text(3), j.text(4), static_cast<int>(j.i64(5)),
                 j.i64(6), j.text(7), j.text(8), {}};
      auto a = db.stmt(
          "SELECT started_at, duration_ms, http_status, coalesce(error, ''), outcome, coalesce(detail, '') FROM attempts"
          " WHERE job_id = ?1 ORDER BY id");
      a.bind(1, jv.id);
      while (a.step() == SQLITE_ROW)
        jv.attempt_log.push_back({a.i64(0), a.i64(1),
                                  a.is_null(2) ? std::nullopt : std::optional<int>(static_cast<int>(a.i64(2))),
                                  a.text(3), a.text(4), a.text(5)});
      v.jobs.push_back(std::move(jv));
    }
    return v;
  });
}

std::size_t SqliteStore::count_jobs(const std::string& state) {
  return impl_->run_sync([&](sql::Db& db) {
    auto s = db.stmt("SELECT count(*) FROM jobs WHERE state = ?1");
    s.bind(1, state);
    return s.step() == SQLITE_ROW ? static_cast<std::size_t>(s.i64(0)) : std::size_t{0};
  });
}

void SqliteStore::check_writable_async(std::function<void(std::string)> done) {
  impl_->submit({[](sql::Db& db, std::string&) {
                   auto s = db.stmt(
                       "INSERT INTO kv (key, value, updated_at) VALUES ('readyz', 'ok', ?1)"
                       " ON CONFLICT (key) DO UPDATE SET updated_at = excluded.updated_at");
                   s.bind(1, wall_ms());
                   if (s.step() != SQLITE_DONE) throw std::runtime_error(db.error());
                   return true;
                 },
                 [done = std::move(done)](bool ok, const std::string& error) {
                   done(ok ? "" : error.empty() ? "store write failed" : error);
                 }});
}

}  // namespace asc_webhookd::store
