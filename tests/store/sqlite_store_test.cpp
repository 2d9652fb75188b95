// The SQLite store on a real file: ingest and dedupe, job leasing and order,
// attempts, retry, recovery, pruning, group commit, and failure injection.
#include "asc_webhookd/store/sqlite_store.hpp"

#include "../../src/store/schema.hpp"
#include "support/faulty_vfs.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <filesystem>
#include <sqlite3.h>

#include <future>
#include <thread>

namespace asc_webhookd::store {
namespace {

using test::TempDir;

ingest::Event make_event(const std::string& id, const std::string& instance = "inst-1",
                         const std::string& new_state = "COMPLETE") {
  auto body = R"({"data":{"type":"buildUploadStateUpdated","id":")" + id +
              R"(","version":1,"attributes":{"oldState":"PROCESSING","newState":")" + new_state +
              R"("},"relationships":{"instance":{"data":{"type":"buildUploads","id":")" + instance + R"("}}}}})";
  auto ev = ingest::decode_event(body);
  if (!ev) throw std::runtime_error(ev.error().message);
  return *ev;
}

NewEvent new_event(const std::string& id, int jobs, std::int64_t at_ms = 1000, const std::string& instance = "inst-1") {
  NewEvent ne{"app", make_event(id, instance), {}, at_ms};
  for (int i = 0; i < jobs; ++i)
    ne.jobs.push_back({"rule", i, nullptr, "http", R"({"kind":"http"})", "app|buildUploads|" + instance + "|rule|" + std::to_string(i)});
  return ne;
}

std::int64_t count(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr);
  std::int64_t n = -1;
  if (sqlite3_step(s) == SQLITE_ROW) n = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  sqlite3_close(db);
  return n;
}

class StoreTest : public ::testing::Test {
protected:
  TempDir dir;
  std::string path = dir.file("state.db");
  std::unique_ptr<SqliteStore> store = std::move(SqliteStore::open({path, ""}).value());
};

TEST_F(StoreTest, TheWalIsCheckpointedWhileTheStoreWrites) {
  // The store's connection never checkpoints itself (a commit must not stall
  // behind one): the pages reach the database file only through the
  // background checkpointer. Ingest well over its 1000-page threshold.
  const auto db_size = [&] { return std::filesystem::file_size(path); };
  const auto before = db_size();
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t)
    writers.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) store->ingest(new_event("wal-" + std::to_string(t) + "-" + std::to_string(i), 3));
    });
  for (auto& w : writers) w.join();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (db_size() <= before + 1'000'000 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_GT(db_size(), before + 1'000'000);
  EXPECT_EQ(count(path, "SELECT count(*) FROM events"), 2000);
}

TEST_F(StoreTest, IngestIsVisibleToAnotherConnectionWhenItReturns) {
  auto r = store->ingest(new_event("e1", 2));
  EXPECT_EQ(r.status, IngestStatus::accepted);
  EXPECT_EQ(r.jobs, 2u);
  EXPECT_EQ(count(path, "SELECT count(*) FROM events WHERE event_id = 'e1'"), 1);
  EXPECT_EQ(count(path, "SELECT count(*) FROM jobs WHERE state = 'pending'"), 2);
  EXPECT_EQ(count(path, "SELECT count(*) FROM history WHERE state = 'COMPLETE'"), 1);
}

TEST_F(StoreTest, DuplicatePlansNothing) {
  EXPECT_EQ(store->ingest(new_event("e1", 2)).status, IngestStatus::accepted);
  auto again = store->ingest(new_event("e1", 2));
  EXPECT_EQ(again.status, IngestStatus::duplicate);
  EXPECT_EQ(count(path, "SELECT count(*) FROM jobs"), 2);
  EXPECT_EQ(count(path, "SELECT count(*) FROM events"), 1);
  // The same data.id on another webhook is another event.
  auto other = new_event("e1", 1);
  other.webhook = "other";
  EXPECT_EQ(store->ingest(std::move(other)).status, IngestStatus::accepted);
}

TEST_F(StoreTest, LeaseKeepsOrderPerOrderKeyAndRunsOthersInParallel) {
  store->ingest(new_event("a", 1, 1000, "x"));
  store->ingest(new_event("b", 1, 1001, "x"));
  store->ingest(new_event("c", 1, 1002, "y"));
  auto first = store->lease(5000, 60000);
  ASSERT_TRUE(first.job);
  auto second = store->lease(5000, 60000);
  ASSERT_TRUE(second.job);
  // "b" waits for "a" (same instance); "c" (another instance) does not.
  EXPECT_NE(first.job->raw_event.find("\"a\""), std::string::npos);
  EXPECT_NE(second.job->raw_event.find("\"c\""), std::string::npos);
  EXPECT_FALSE(store->lease(5000, 60000).job);
  // "a" fails and is rescheduled: "b" still waits behind it.
  store->record(first.job->id, {5000, 10, 503, "HTTP 503", "retry", "", ""}, JobOutcome::retry, 9000);
  auto none = store->lease(6000, 60000);
  EXPECT_FALSE(none.job);
  ASSERT_TRUE(none.next_due_ms);
  EXPECT_EQ(*none.next_due_ms, 9000);
  auto again = store->lease(9000, 60000);
  ASSERT_TRUE(again.job);
  EXPECT_EQ(again.job->id, first.job->id);
  EXPECT_EQ(again.job->attempts, 1);
  store->record(again.job->id, {9000, 10, 200, "", "done", "", ""}, JobOutcome::done, 9000);
  auto b = store->lease(9001, 60000);
  ASSERT_TRUE(b.job);
  EXPECT_NE(b.job->raw_event.find("\"b\""), std::string::npos);
}

TEST_F(StoreTest, OnlyTheHeadOfEachOrderKeyIsIndexedForLeasing) {
  // A downstream outage: x's first job is in backoff and 300 more queue
  // behind it. Leasing looks only at heads (the partial index holds one job
  // per key with work), so the backlog costs nothing to skip.
  store->ingest(new_event("x-0", 1, 1000, "x"));
  auto head = store->lease(1000, 60000);
  ASSERT_TRUE(head.job);
  store->record(head.job->id, {1000, 1, 503, "HTTP 503", "retry", "", ""}, JobOutcome::retry, 90'000);
  for (int i = 1; i <= 300; ++i) store->ingest(new_event("x-" + std::to_string(i), 1, 1000 + i, "x"));
  store->ingest(new_event("y-0", 1, 2000, "y"));
  const auto indexed = [&] {
    return count(path, "SELECT count(*) FROM jobs INDEXED BY jobs_ready WHERE state = 'pending' AND ready = 1");
  };
  EXPECT_EQ(indexed(), 2);  // x-0 (in backoff) and y-0
  auto y = store->lease(5000, 60000);
  ASSERT_TRUE(y.job);
  EXPECT_NE(y.job->raw_event.find("\"y-0\""), std::string::npos);
  auto none = store->lease(5000, 60000);
  EXPECT_FALSE(none.job);
  ASSERT_TRUE(none.next_due_ms);
  EXPECT_EQ(*none.next_due_ms, 60'000 + 5000);  // y-0's lease, before x-0's retry at 90 s
  store->record(y.job->id, {5000, 1, 200, "", "done", "", ""}, JobOutcome::done, 5000);
  // x-0 succeeds at last: x-1..x-300 follow one at a time, in order.
  auto again = store->lease(90'000, 60000);
  ASSERT_TRUE(again.job);
  EXPECT_EQ(again.job->id, head.job->id);
  store->record(again.job->id, {90'000, 1, 200, "", "done", "", ""}, JobOutcome::done, 90'000);
  for (int i = 1; i <= 300; ++i) {
    auto next = store->lease(90'000 + i, 60000);
    ASSERT_TRUE(next.job) << i;
    ASSERT_NE(next.job->raw_event.find("\"x-" + std::to_string(i) + "\""), std::string::npos) << i;
    EXPECT_FALSE(store->lease(90'000 + i, 60000).job) << "two jobs of one key at once, at " << i;
    store->record(next.job->id, {90'000 + i, 1, 200, "", "done", "", ""}, JobOutcome::done, 90'000 + i);
    ASSERT_LE(indexed(), 1) << i;
  }
  EXPECT_EQ(indexed(), 0);
}

TEST_F(StoreTest, ARequeuedJobGoesBeforeLaterJobsOfItsKeyThatHaveNotStarted) {
  store->ingest(new_event("a", 1, 1000, "x"));
  auto a = store->lease(1000, 60000);
  ASSERT_TRUE(a.job);
  store->record(a.job->id, {1000, 1, 404, "HTTP 404", "dead", "", ""}, JobOutcome::dead, 1000);
  store->ingest(new_event("b", 1, 2000, "x"));
  store->ingest(new_event("c", 1, 2001, "x"));
  EXPECT_EQ(store->retry_event(1, 3000).value(), 1u);  // event a is seq 1
  auto first = store->lease(3000, 60000);
  ASSERT_TRUE(first.job);
  EXPECT_EQ(first.job->id, a.job->id);
  EXPECT_FALSE(store->lease(3000, 60000).job);
  store->record(first.job->id, {3000, 1, 200, "", "done", "", ""}, JobOutcome::done, 3000);
  auto b = store->lease(3001, 60000);
  ASSERT_TRUE(b.job);
  EXPECT_NE(b.job->raw_event.find("\"b\""), std::string::npos);
  // Stopped mid-attempt (SIGTERM): b goes back to pending, still first.
  std::promise<bool> released;
  store->release_async({b.job->id}, [&](bool ok) { released.set_value(ok); });
  ASSERT_TRUE(released.get_future().get());
  auto b_again = store->lease(3002, 60000);
  ASSERT_TRUE(b_again.job);
  EXPECT_EQ(b_again.job->id, b.job->id);
}

TEST(StoreOpen, MigratesAVersion3StoreKeepingTheOrderOfWaitingJobs) {
  TempDir dir;
  auto path = dir.file("v3.db");
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  for (int v = 0; v < 3; ++v) ASSERT_EQ(sqlite3_exec(db, schema::kMigrations[v], nullptr, nullptr, nullptr), SQLITE_OK);
  const char* data = R"sql(
PRAGMA user_version=3;
INSERT INTO events (seq, webhook, event_id, type, received_at, raw) VALUES
  (1, 'app', 'e1', 'buildUploadStateUpdated', 1000, '{"data":{"id":"e1"}}'),
  (2, 'app', 'e2', 'buildUploadStateUpdated', 1001, '{"data":{"id":"e2"}}'),
  (3, 'app', 'e3', 'buildUploadStateUpdated', 1002, '{"data":{"id":"e3"}}');
INSERT INTO jobs (id, event_seq, rule, action_index, kind, action, order_key, state, next_at, created_at, lease_until)
  VALUES (1, 1, 'r', 0, 'http', '{}', 'x', 'running', 1000, 1000, 999999999),
         (2, 2, 'r', 0, 'http', '{}', 'x', 'pending', 1001, 1001, NULL),
         (3, 3, 'r', 0, 'http', '{}', 'y', 'pending', 1002, 1002, NULL);
)sql";
  ASSERT_EQ(sqlite3_exec(db, data, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
  auto st = SqliteStore::open({path, ""}).value();
  EXPECT_EQ(count(path, "PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(count(path, "SELECT group_concat(id) FROM jobs WHERE ready = 1"), 3);
  auto y = st->lease(5000, 60000);  // job 2 waits behind the running job 1
  ASSERT_TRUE(y.job);
  EXPECT_EQ(y.job->id, 3);
  EXPECT_FALSE(st->lease(5000, 60000).job);
  EXPECT_EQ(st->recover_running().value(), 2u);  // after a crash: 1 then 2 for x, 3 for y
  auto one = st->lease(6000, 60000);
  auto other = st->lease(6000, 60000);
  ASSERT_TRUE(one.job && other.job);
  EXPECT_EQ(one.job->id + other.job->id, 1 + 3);
  EXPECT_FALSE(st->lease(6000, 60000).job);
}

TEST_F(StoreTest, ExpiredLeaseMakesTheJobDueAgain) {
  store->ingest(new_event("a", 1));
  auto j = store->lease(1000, 500);
  ASSERT_TRUE(j.job);
  EXPECT_FALSE(store->lease(1400, 500).job);
  auto again = store->lease(1500, 500);
  ASSERT_TRUE(again.job);
  EXPECT_EQ(again.job->id, j.job->id);
}

TEST_F(StoreTest, RecoverRunningResumesJobsOfACrashedProcess) {
  store->ingest(new_event("a", 2));
  ASSERT_TRUE(store->lease(1000, 600000).job);
  EXPECT_EQ(store->recover_running().value(), 1u);
  EXPECT_EQ(count(path, "SELECT count(*) FROM jobs WHERE state = 'pending'"), 2);
}

// `job retry 2` once also requeued event seq 2's jobs: a job id is a job id.
TEST_F(StoreTest, AJobIdThatIsAlsoAnEventSeqRequeuesOnlyThatJob) {
  store->ingest(new_event("first", 1, 1000, "x"));   // seq 1: job 1
  store->ingest(new_event("second", 2, 1000, "y"));  // seq 2: jobs 2, 3
  for (int i = 0; i < 3; ++i) {
    auto j = store->lease(1000, 60000);
    ASSERT_TRUE(j.job);
    store->record(j.job->id, {1000, 1, 404, "HTTP 404", "dead", "", ""}, JobOutcome::dead, 1000);
  }
  ASSERT_EQ(count(path, "SELECT count(*) FROM jobs WHERE state = 'dead'"), 3);
  EXPECT_EQ(store->retry_job(2, 2000).value(), 1u);
  EXPECT_EQ(count(path, "SELECT count(*) FROM jobs WHERE state = 'dead'"), 2);
  EXPECT_EQ(count(path, "SELECT count(*) FROM jobs WHERE state = 'pending' AND id = 2"), 1);
  // The event by its seq; references resolve by data.id, else #SEQ.
  EXPECT_EQ(store->retry_event(2, 2000).value(), 1u);  // job 3 (job 2 is pending already)
  ASSERT_EQ(store->find_events("first").value().size(), 1u);
  EXPECT_EQ(store->retry_event(store->find_events("first").value()[0].seq, 2000).value(), 1u);
  EXPECT_EQ(store->find_events("#2").value().at(0).event_id, "second");
  EXPECT_TRUE(store->find_events("2").value().empty());  // a data.id "2": none
  EXPECT_EQ(store->retry_job(99, 2000).value(), 0u);
}

TEST_F(StoreTest, DeadJobsAreListedAndRequeued) {
  store->ingest(new_event("a", 1));
  auto j = store->lease(1000, 60000);
  store->record(j.job->id, {1000, 5, 404, "HTTP 404: Not Found", "dead", "", ""}, JobOutcome::dead, 1000);
  auto dead = store->events("dead", 10).value();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].event_id, "a");
  auto shown = store->event("a").value();
  ASSERT_TRUE(shown);
  ASSERT_EQ(shown->jobs.size(), 1u);
  EXPECT_EQ(shown->jobs[0].state, "dead");
  ASSERT_EQ(shown->jobs[0].attempt_log.size(), 1u);
  EXPECT_EQ(shown->jobs[0].attempt_log[0].http_status, 404);
  EXPECT_EQ(store->retry_event(shown->seq, 2000).value(), 1u);
  EXPECT_TRUE(store->events("dead", 10).value().empty());
  EXPECT_EQ(store->events("pending", 10).value().size(), 1u);
  EXPECT_EQ(store->retry_event(shown->seq, 2000).value(), 0u);  // nothing dead any more
  auto again = store->lease(2000, 60000);
  ASSERT_TRUE(again.job);
  EXPECT_EQ(again.job->attempts, 0);
}

TEST_F(StoreTest, PruneRemovesOnlyOldDoneEvents) {
  store->ingest(new_event("old-done", 1, 1000, "p"));
  store->ingest(new_event("old-pending", 1, 1000, "q"));
  store->ingest(new_event("old-nojobs", 0, 1000, "r"));
  store->ingest(new_event("new-done", 0, 50'000, "s"));
  auto j = store->lease(2000, 60000);
  ASSERT_TRUE(j.job);
  ASSERT_NE(j.job->raw_event.find("old-done"), std::string::npos);
  store->record(j.job->id, {2000, 1, 200, "", "done", "", ""}, JobOutcome::done, 2000);
  EXPECT_EQ(store->prune(10'000).value(), 2u);
  EXPECT_EQ(count(path, "SELECT count(*) FROM events"), 2);
  EXPECT_TRUE(store->event("old-pending").value());
  EXPECT_TRUE(store->event("new-done").value());
  EXPECT_EQ(count(path, "SELECT count(*) FROM attempts"), 0);  // cascaded
  // Pruned means forgotten: the same id is new again (dedupe window = retention).
  EXPECT_EQ(store->ingest(new_event("old-done", 0, 60'000, "p")).status, IngestStatus::accepted);
}

TEST_F(StoreTest, ConcurrentIngestsShareCommits) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) store->ingest(new_event("g" + std::to_string(t) + "-" + std::to_string(i), 1));
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(count(path, "SELECT count(*) FROM events"), 400);
  EXPECT_EQ(store->tasks(), 400u);
  EXPECT_LT(store->commits(), store->tasks()) << "no group commit happened";
}

TEST_F(StoreTest, HistoryAndKeyValue) {
  store->ingest(new_event("h1", 0, 1000, "v"));
  auto e2 = new_event("h2", 0, 2000, "v");
  e2.event = make_event("h2", "v", "FAILED");
  store->ingest(std::move(e2));
  auto h = store->history("app", "v");
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].state, "COMPLETE");
  EXPECT_EQ(h[1].state, "FAILED");
  EXPECT_FALSE(store->kv_get("slack:thread:x"));
  EXPECT_TRUE(store->kv_put("slack:thread:x", "1700000000.000100"));
  EXPECT_EQ(store->kv_get("slack:thread:x"), "1700000000.000100");
  EXPECT_EQ(store->check_writable(), "");
}

TEST(StoreOpen, RefusesADatabaseFromTheFuture) {
  TempDir dir;
  auto path = dir.file("future.db");
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  auto st = SqliteStore::open({path, ""});
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("schema version 99"), std::string::npos);
}

TEST(StoreOpen, UnopenablePathIsAClearError) {
  auto st = SqliteStore::open({"/nonexistent/dir/state.db", ""});
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("cannot open the store /nonexistent/dir/state.db"), std::string::npos);
}

// A store on the "faulty" VFS (tests/support/faulty_vfs) holding one event.
class StoreFaults : public ::testing::Test {
protected:
  void SetUp() override {
    test::register_faulty_vfs();
    st = std::move(SqliteStore::open({path, "faulty"}).value());
    ASSERT_EQ(st->ingest(new_event("before", 2)).status, IngestStatus::accepted);
  }
  TempDir dir;
  std::string path = dir.file("faulty.db");
  std::unique_ptr<SqliteStore> st;
};

TEST_F(StoreFaults, FailedCommitLeavesNothingHalfWritten) {
  test::set_fail_writes(true);
  auto failed = st->ingest(new_event("during", 3));
  EXPECT_EQ(failed.status, IngestStatus::failed);
  EXPECT_FALSE(failed.error.empty());
  EXPECT_NE(st->check_writable(), "");
  test::set_fail_writes(false);
  EXPECT_EQ(count(path, "SELECT count(*) FROM events"), 1);
  EXPECT_EQ(count(path, "SELECT count(*) FROM jobs"), 2);
  // The store recovers once the disk does, and the event can be delivered again.
  EXPECT_EQ(st->ingest(new_event("during", 3)).status, IngestStatus::accepted);
  EXPECT_EQ(count(path, "SELECT count(*) FROM jobs"), 5);
  EXPECT_EQ(st->check_writable(), "");
}

TEST_F(StoreFaults, AFailedLeaseSaysSoInsteadOfNothingDue) {
  test::set_fail_writes(true);
  std::promise<LeaseBatch> leased;
  st->lease_async(2000, 60'000, 8, [&](LeaseBatch b) { leased.set_value(std::move(b)); });
  auto failed = leased.get_future().get();
  test::set_fail_writes(false);
  EXPECT_TRUE(failed.jobs.empty());
  ASSERT_TRUE(failed.error) << "a failed lease must not read as nothing due";
  EXPECT_EQ(failed.error->code, make_error_code(errc::disk_full)) << failed.error->message;
  std::promise<LeaseBatch> again;
  st->lease_async(2000, 60'000, 8, [&](LeaseBatch b) { again.set_value(std::move(b)); });
  auto ok = again.get_future().get();
  EXPECT_FALSE(ok.error);
  EXPECT_EQ(ok.jobs.size(), 2u);  // the jobs were never lost, only not leased
}

TEST_F(StoreFaults, NothingIsAcknowledgedBeforeItsFsync) {
  // Commits write the WAL without syncing; a separate thread fsyncs, and
  // only then are callers told. With the disk's fsync frozen, an ingest
  // has committed (another connection can read it) but has not returned.
  test::hold_syncs(true);
  std::promise<IngestResult> answered;
  st->ingest_async(new_event("held", 1), [&](IngestResult r) { answered.set_value(std::move(r)); });
  auto fut = answered.get_future();
  for (int i = 0; i < 500 && count(path, "SELECT count(*) FROM events WHERE event_id = 'held'") != 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(count(path, "SELECT count(*) FROM events WHERE event_id = 'held'"), 1) << "not committed";
  for (int i = 0; i < 500 && test::held_syncs() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_GE(test::held_syncs(), 1);
  EXPECT_EQ(fut.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout) << "acknowledged before fsync";
  test::hold_syncs(false);
  ASSERT_EQ(fut.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(fut.get().status, IngestStatus::accepted);
}

// A lease does not wait for its own fsync (a lease lost in a crash leaves
// its jobs pending), but never hands out a job before the commit that
// stored it is durable: that event is not acknowledged yet.
TEST_F(StoreFaults, ALeaseWaitsForEarlierCommitsOnlyNotForItsOwn) {
  test::hold_syncs(true);  // the fixture's event ("before", two jobs) is durable already
  std::promise<LeaseBatch> first;
  st->lease_async(2000, 60'000, 8, [&](LeaseBatch b) { first.set_value(std::move(b)); });
  auto own = first.get_future();
  ASSERT_EQ(own.wait_for(std::chrono::seconds(10)), std::future_status::ready) << "the lease waited for its own fsync";
  EXPECT_EQ(own.get().jobs.size(), 2u);

  std::promise<IngestResult> answered;
  st->ingest_async(new_event("held", 1, 1000, "inst-2"), [&](IngestResult r) { answered.set_value(std::move(r)); });
  for (int i = 0; i < 500 && test::held_syncs() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_GE(test::held_syncs(), 1);
  std::promise<LeaseBatch> second;
  st->lease_async(2000, 60'000, 8, [&](LeaseBatch b) { second.set_value(std::move(b)); });
  auto behind = second.get_future();
  EXPECT_EQ(behind.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout)
      << "a job of an event not yet durable was leased";
  test::hold_syncs(false);
  auto ack = answered.get_future();
  ASSERT_EQ(ack.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(ack.get().status, IngestStatus::accepted);
  ASSERT_EQ(behind.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(behind.get().jobs.size(), 1u);
}

TEST_F(StoreFaults, AFailedFsyncIsNeverAcknowledgedAndWritesWaitForAFullCheckpoint) {
  test::set_fail_syncs(true);
  auto during = st->ingest(new_event("during", 1));
  EXPECT_EQ(during.status, IngestStatus::failed);
  EXPECT_NE(during.error.find("store sync failed"), std::string::npos) << during.error;
  // While fsync fails, nothing is taken: the WAL cannot be folded in.
  auto refused = st->ingest(new_event("refused", 1));
  EXPECT_EQ(refused.status, IngestStatus::failed);
  EXPECT_NE(refused.error.find("refused"), std::string::npos) << refused.error;
  EXPECT_NE(st->check_writable(), "");
  test::set_fail_syncs(false);
  // The disk answers again: the next write first checkpoints the whole WAL
  // into the database file (synced) and empties it, then goes ahead.
  EXPECT_EQ(st->ingest(new_event("after", 1)).status, IngestStatus::accepted);
  EXPECT_EQ(st->check_writable(), "");
  // "during" was committed, only its fsync failed: Apple's retry is a duplicate.
  EXPECT_EQ(st->ingest(new_event("during", 1)).status, IngestStatus::duplicate);
  EXPECT_EQ(st->ingest(new_event("refused", 1)).status, IngestStatus::accepted);
  st.reset();
  auto again = SqliteStore::open({path, ""}).value();
  EXPECT_EQ(count(path, "SELECT count(*) FROM events"), 4);
}

}  // namespace
}  // namespace asc_webhookd::store
