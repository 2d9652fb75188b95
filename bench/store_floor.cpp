// Where a durable event's store time goes, without HTTP: the CPU per event
// (whole process: writer, fsync and checkpoint threads, the kernel's share
// of their system calls) of
//   store   SqliteStore::ingest_async, as the daemon calls it: the event, one
//           planned job and its history, group-committed and fsync'd;
//   lease_record  then each job leased (64 at a time) and recorded done;
//   append  bare SQLite, the floor of "one sequential append": one row per
//           event (id, webhook, raw) into a table with only its integer key,
//           256 rows per transaction, WAL, fsync per transaction;
//   unique  the same plus the UNIQUE (webhook, event_id) index that exact
//           dedupe needs.
// Usage: bench_store_floor N DIR   (prints one BENCH_FLOOR line)
//   BENCH_SENT=full  each attempt's record keeps the request's body too, as
//                    the daemon's does for an `http` action.
#include "asc_webhookd/store/sqlite_store.hpp"

#include "../src/store/key_hash.hpp"

#include <sqlite3.h>
#include <time.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <mutex>
#include <string>

namespace {

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// A random-looking, distinct id per event (as Apple's UUIDs: the dedupe
// index sees random keys).
std::string event_id(long i) {
  auto x = static_cast<unsigned long long>(i) + 0x9e3779b97f4a7c15ULL;  // splitmix64
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  x ^= x >> 31;
  char b[40];
  std::snprintf(b, sizeof b, "%016llx-%08lx", x, static_cast<unsigned long>(i));
  return b;
}

std::string event_body(long i) {
  return R"({"data":{"type":"buildUploadStateUpdated","id":")" + event_id(i) +
         R"(","version":1,"attributes":{"oldState":"PROCESSING","newState":"COMPLETE"},)"
         R"("relationships":{"instance":{"data":{"type":"buildUploads","id":"upload-)" + std::to_string(i % 1000) +
         R"("}}}}})";
}

// µs of CPU per event through the real store: its ingest, then the lease
// and record of its job.
std::pair<double, double> through_store(long n, const std::string& path) {
  using namespace asc_webhookd;
  auto opened = store::SqliteStore::open({path, ""});
  if (!opened) {
    std::fprintf(stderr, "%s\n", opened.error().message.c_str());
    std::exit(1);
  }
  auto& st = **opened;
  std::vector<store::NewEvent> events;
  events.reserve(static_cast<std::size_t>(n));
  for (long i = 0; i < n; ++i) {
    auto ev = event::decode_event(event_body(i));
    store::NewJob job{"forward", 0, "http", R"({"http":{"url":"http://127.0.0.1:1/sink"}})",
                      "buildUploads:upload-" + std::to_string(i % 1000)};
    events.push_back({"bench", std::move(*ev), {job}, 1700000000000 + i});
  }
  std::mutex m;
  std::condition_variable cv;
  long left = n;
  const double t0 = cpu_seconds();
  for (auto& e : events)
    st.ingest_async(std::move(e), [&](store::StoreResult<store::Ingested> r) {
      if (!r || r->duplicate) std::fprintf(stderr, "not accepted: %s\n", r ? "duplicate" : r.error().message.c_str());
      std::lock_guard lock(m);
      if (--left == 0) cv.notify_one();
    });
  {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return left == 0; });
  }
  const double ingest_us = (cpu_seconds() - t0) * 1e6 / static_cast<double>(n);
  // Then what delivery asks of the store per job: leased 64 at a time,
  // each recorded done (the next job of its instance becomes ready).
  const char* sent_env = std::getenv("BENCH_SENT");
  const bool full_sent = sent_env && std::string(sent_env) == "full";
  const double t1 = cpu_seconds();
  long recorded = 0;
  for (;;) {
    std::promise<store::StoreResult<store::Leased>> leased;
    st.lease_async(1800000000000, 60000, 64, [&](store::StoreResult<store::Leased> b) { leased.set_value(std::move(b)); });
    auto leased_now = leased.get_future().get();
    if (!leased_now) {
      std::fprintf(stderr, "lease failed: %s\n", leased_now.error().message.c_str());
      std::exit(1);
    }
    auto& batch = *leased_now;
    if (batch.jobs.empty()) break;
    std::vector<std::future<void>> records;
    for (const auto& j : batch.jobs) {
      auto done = std::make_shared<std::promise<void>>();
      records.push_back(done->get_future());
      // What the attempt sent, as its record keeps it (delivery/exchange_log):
      // by default the request line and status only; BENCH_SENT=full, the
      // request with its body (the event, as an `http` action posts it).
      const std::string sent = full_sent ? "POST http://127.0.0.1:1/sink\ncontent-type: application/json\n\n" +
                                               j.raw_event + "\n→ 200\n"
                                         : "POST http://127.0.0.1:1/sink\n→ 200\n";
      st.record_async(j.id, {1800000000000, 1, 200, "", "done", "", sent}, store::JobOutcome::done, 1800000000000,
                      [done](auto) { done->set_value(); });
    }
    for (auto& r : records) r.get();
    recorded += static_cast<long>(batch.jobs.size());
  }
  return {ingest_us, (cpu_seconds() - t1) * 1e6 / static_cast<double>(recorded ? recorded : 1)};
}

void exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::fprintf(stderr, "%s: %s\n", sql, err ? err : "?");
    std::exit(1);
  }
}

// µs of CPU per event appended by bare SQLite.
double bare_append(long n, const std::string& path, bool unique) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  exec(db, "PRAGMA journal_mode=WAL");
  exec(db, "PRAGMA synchronous=FULL");
  exec(db, unique ? "CREATE TABLE inbox (seq INTEGER PRIMARY KEY, webhook TEXT NOT NULL, event_id TEXT NOT NULL,"
                    " raw TEXT NOT NULL, UNIQUE (webhook, event_id))"
                  : "CREATE TABLE inbox (seq INTEGER PRIMARY KEY, webhook TEXT NOT NULL, event_id TEXT NOT NULL,"
                    " raw TEXT NOT NULL)");
  sqlite3_stmt* ins = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO inbox (webhook, event_id, raw) VALUES ('bench', ?1, ?2)", -1, &ins, nullptr);
  std::vector<std::string> bodies;
  for (long i = 0; i < n; ++i) bodies.push_back(event_body(i));
  const double t0 = cpu_seconds();
  for (long i = 0; i < n; ++i) {
    if (i % 256 == 0) exec(db, "BEGIN");
    const std::string id = event_id(i);
    sqlite3_bind_text(ins, 1, id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 2, bodies[static_cast<std::size_t>(i)].c_str(), -1, SQLITE_STATIC);
    if (sqlite3_step(ins) != SQLITE_DONE) std::exit(1);
    sqlite3_reset(ins);
    if (i % 256 == 255 || i == n - 1) exec(db, "COMMIT");
  }
  const double us = (cpu_seconds() - t0) * 1e6 / static_cast<double>(n);
  sqlite3_finalize(ins);
  sqlite3_close(db);
  return us;
}

// µs of CPU per event for the store's own statements (the event; the event
// and its job), as ingest runs them, bare: 256 events per transaction, no
// writer thread, no callbacks.
double bare_statements(long n, const std::string& path, bool with_job) {
  { auto made = asc_webhookd::store::SqliteStore::open({path, ""}); }  // the schema
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  exec(db, "PRAGMA journal_mode=WAL");
  exec(db, "PRAGMA synchronous=FULL");
  sqlite3_stmt *ev = nullptr, *job = nullptr;
  sqlite3_prepare_v2(db,
                     "INSERT INTO events (webhook, event_id, type, old_state, new_state, instance_type, instance_id, "
                     "event_time, received_at, raw, instance_hash) VALUES ('bench', ?1, 'buildUploadStateUpdated', "
                     "'PROCESSING', 'COMPLETE', 'buildUploads', ?2, NULL, ?3, ?4, ?5) ON CONFLICT (webhook, event_id) "
                     "DO NOTHING RETURNING seq",
                     -1, &ev, nullptr);
  sqlite3_prepare_v2(db,
                     "INSERT INTO jobs (event_seq, rule, action_index, kind, action, order_key, order_hash, state, "
                     "next_at, created_at, ready) VALUES (?1, 'forward', 0, 'http', '{\"http\":{\"url\":\"x\"}}', ?2, "
                     "?4, 'pending', ?3, ?3, NOT EXISTS (SELECT 1 FROM jobs WHERE order_hash = ?4 AND finished = 0)) "
                     "RETURNING id",
                     -1, &job, nullptr);
  std::vector<std::string> bodies;
  for (long i = 0; i < n; ++i) bodies.push_back(event_body(i));
  const double t0 = cpu_seconds();
  for (long i = 0; i < n; ++i) {
    if (i % 256 == 0) exec(db, "BEGIN");
    const std::string id = event_id(i), inst = "upload-" + std::to_string(i % 1000);
    sqlite3_bind_text(ev, 1, id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ev, 2, inst.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(ev, 3, i);
    sqlite3_bind_text(ev, 4, bodies[static_cast<std::size_t>(i)].c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_int64(ev, 5, asc_webhookd::store::key_hash("bench|" + inst));
    if (sqlite3_step(ev) != SQLITE_ROW) std::exit(1);
    const sqlite3_int64 seq = sqlite3_column_int64(ev, 0);
    sqlite3_step(ev);
    sqlite3_reset(ev);
    if (with_job) {
      const std::string order = "bench|buildUploads|" + inst + "|forward|0";
      sqlite3_bind_int64(job, 1, seq);
      sqlite3_bind_text(job, 2, order.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(job, 3, i);
      sqlite3_bind_int64(job, 4, asc_webhookd::store::key_hash(order));
      if (sqlite3_step(job) != SQLITE_ROW) std::exit(1);
      sqlite3_step(job);
      sqlite3_reset(job);
    }
    if (i % 256 == 255 || i == n - 1) exec(db, "COMMIT");
  }
  const double us = (cpu_seconds() - t0) * 1e6 / static_cast<double>(n);
  for (auto* s : {ev, job}) sqlite3_finalize(s);
  sqlite3_close(db);
  return us;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: bench_store_floor N DIR\n");
    return 2;
  }
  const long n = std::atol(argv[1]);
  const std::filesystem::path dir = argv[2];
  const auto [store, lease_record] = through_store(n, (dir / "store.db").string());
  const double append = bare_append(n, (dir / "append.db").string(), false);
  const double unique = bare_append(n, (dir / "unique.db").string(), true);
  const double ev = bare_statements(n, (dir / "s1.db").string(), false);
  const double evjob = bare_statements(n, (dir / "s2.db").string(), true);
  std::printf("BENCH_FLOOR events=%ld store_cpu_us=%.1f lease_record_cpu_us=%.1f append_cpu_us=%.1f unique_cpu_us=%.1f sql_event_us=%.1f"
              " sql_event_job_us=%.1f\n",
              n, store, lease_record, append, unique, ev, evjob);
  return 0;
}
