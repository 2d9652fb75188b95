// The SQLite engine on a real file, beyond the driver tests every engine
// passes (driver_test.cpp): what lands in the file and its indexes, the
// checkpointer, group commit, migrations, and failure injection (a full
// disk, a failed or held fsync).
#include "asc_webhookd/store/sqlite_store.hpp"

#include "../../src/store/schema.hpp"
#include "support/faulty_vfs.hpp"
#include "support/store_calls.hpp"
#include "support/store_events.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <filesystem>
#include <sqlite3.h>

#include <future>
#include <thread>

namespace asc_webhookd::store {
namespace {

using test::lease_one;
using test::new_event;
using test::TempDir;

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

// Writes a store at schema `version` (the first `version` migrations) with
// `data` in it, as that version of asc-webhookd left it; "" or SQLite's error.
std::string store_at_version(const std::string& path, int version, const char* data) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  std::string error;
  for (int v = 0; v < version && error.empty(); ++v)
    if (sqlite3_exec(db, schema::kMigrations[v], nullptr, nullptr, nullptr) != SQLITE_OK) error = sqlite3_errmsg(db);
  const std::string stamp = "PRAGMA user_version=" + std::to_string(version);
  if (error.empty() && sqlite3_exec(db, stamp.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) error = sqlite3_errmsg(db);
  if (error.empty() && sqlite3_exec(db, data, nullptr, nullptr, nullptr) != SQLITE_OK) error = sqlite3_errmsg(db);
  sqlite3_close(db);
  return error;
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
      for (int i = 0; i < 500; ++i) test::ingest(*store, new_event("wal-" + std::to_string(t) + "-" + std::to_string(i), 3));
    });
  for (auto& w : writers) w.join();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (db_size() <= before + 1'000'000 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_GT(db_size(), before + 1'000'000);
  EXPECT_EQ(count(path, "SELECT count(*) FROM events"), 2000);
}

TEST_F(StoreTest, IngestIsVisibleToAnotherConnectionWhenItReturns) {
  auto r = test::ingest(*store, new_event("e1", 2));
  ASSERT_TRUE(test::accepted(r));
  EXPECT_EQ(r->jobs, 2u);
  EXPECT_EQ(count(path, "SELECT count(*) FROM events WHERE event_id = 'e1'"), 1);
  EXPECT_EQ(count(path, "SELECT count(*) FROM jobs WHERE state = 'pending'"), 2);
  // History is read from the events (an instance and a new state), by hash.
  EXPECT_EQ(count(path, "SELECT count(*) FROM events INDEXED BY events_instance WHERE instance_hash IS NOT NULL"), 1);
}

TEST_F(StoreTest, OnlyTheHeadOfEachOrderKeyIsIndexedForLeasing) {
  // A downstream outage: x's first job is in backoff and 300 more queue
  // behind it. Leasing looks only at heads (the partial index holds one job
  // per key with work), so the backlog costs nothing to skip.
  test::ingest(*store, new_event("x-0", 1, 1000, "x"));
  auto head = lease_one(*store, 1000, 60000);
  ASSERT_TRUE(head.job);
  test::record(*store, head.job->id, {1000, 1, 503, "HTTP 503", "retry", "", ""}, JobOutcome::retry, 90'000);
  for (int i = 1; i <= 300; ++i) test::ingest(*store, new_event("x-" + std::to_string(i), 1, 1000 + i, "x"));
  test::ingest(*store, new_event("y-0", 1, 2000, "y"));
  const auto indexed = [&] {
    return count(path, "SELECT count(*) FROM jobs INDEXED BY jobs_ready WHERE state = 'pending' AND ready = 1");
  };
  EXPECT_EQ(indexed(), 2);  // x-0 (in backoff) and y-0
  auto y = lease_one(*store, 5000, 60000);
  ASSERT_TRUE(y.job);
  EXPECT_NE(y.job->raw_event.find("\"y-0\""), std::string::npos);
  auto none = lease_one(*store, 5000, 60000);
  EXPECT_FALSE(none.job);
  ASSERT_TRUE(none.next_due_ms);
  EXPECT_EQ(*none.next_due_ms, 60'000 + 5000);  // y-0's lease, before x-0's retry at 90 s
  test::record(*store, y.job->id, {5000, 1, 200, "", "done", "", ""}, JobOutcome::done, 5000);
  // x-0 succeeds at last: x-1..x-300 follow one at a time, in order.
  auto again = lease_one(*store, 90'000, 60000);
  ASSERT_TRUE(again.job);
  EXPECT_EQ(again.job->id, head.job->id);
  test::record(*store, again.job->id, {90'000, 1, 200, "", "done", "", ""}, JobOutcome::done, 90'000);
  for (int i = 1; i <= 300; ++i) {
    auto next = lease_one(*store, 90'000 + i, 60000);
    ASSERT_TRUE(next.job) << i;
    ASSERT_NE(next.job->raw_event.find("\"x-" + std::to_string(i) + "\""), std::string::npos) << i;
    EXPECT_FALSE(lease_one(*store, 90'000 + i, 60000).job) << "two jobs of one key at once, at " << i;
    test::record(*store, next.job->id, {90'000 + i, 1, 200, "", "done", "", ""}, JobOutcome::done, 90'000 + i);
    ASSERT_LE(indexed(), 1) << i;
  }
  EXPECT_EQ(indexed(), 0);
}

TEST(StoreOpen, MigratesAVersion3StoreKeepingTheOrderOfWaitingJobs) {
  TempDir dir;
  auto path = dir.file("v3.db");
  const char* data = R"sql(
INSERT INTO events (seq, webhook, event_id, type, received_at, raw) VALUES
  (1, 'app', 'e1', 'buildUploadStateUpdated', 1000, '{"data":{"id":"e1"}}'),
  (2, 'app', 'e2', 'buildUploadStateUpdated', 1001, '{"data":{"id":"e2"}}'),
  (3, 'app', 'e3', 'buildUploadStateUpdated', 1002, '{"data":{"id":"e3"}}');
INSERT INTO jobs (id, event_seq, rule, action_index, kind, action, order_key, state, next_at, created_at, lease_until)
  VALUES (1, 1, 'r', 0, 'http', '{}', 'x', 'running', 1000, 1000, 999999999),
         (2, 2, 'r', 0, 'http', '{}', 'x', 'pending', 1001, 1001, NULL),
         (3, 3, 'r', 0, 'http', '{}', 'y', 'pending', 1002, 1002, NULL);
)sql";
  ASSERT_EQ(store_at_version(path, 3, data), "");
  auto st = SqliteStore::open({path, ""}).value();
  EXPECT_EQ(count(path, "PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(count(path, "SELECT group_concat(id) FROM jobs WHERE ready = 1"), 3);
  auto y = lease_one(*st, 5000, 60000);  // job 2 waits behind the running job 1
  ASSERT_TRUE(y.job);
  EXPECT_EQ(y.job->id, 3);
  EXPECT_FALSE(lease_one(*st, 5000, 60000).job);
  EXPECT_EQ(st->recover_running().value(), 2u);  // after a crash: 1 then 2 for x, 3 for y
  auto one = lease_one(*st, 6000, 60000);
  auto other = lease_one(*st, 6000, 60000);
  ASSERT_TRUE(one.job && other.job);
  EXPECT_EQ(one.job->id + other.job->id, 1 + 3);
  EXPECT_FALSE(lease_one(*st, 6000, 60000).job);
}

TEST(StoreOpen, MigratesAVersion7StoreKeepingHistoryAndOrder) {
  // Version 8 hashes the order and instance keys and reads history from the
  // events: a store written by version 7 keeps both.
  TempDir dir;
  auto path = dir.file("v7.db");
  const char* data = R"sql(
INSERT INTO events (seq, webhook, event_id, type, new_state, instance_type, instance_id, event_time, received_at, raw)
VALUES (1, 'app', 'e1', 'buildUploadStateUpdated', 'PROCESSING', 'buildUploads', 'u1', NULL, 1000, '{"data":{"id":"e1"}}'),
       (2, 'app', 'e2', 'buildUploadStateUpdated', 'COMPLETE', 'buildUploads', 'u1', NULL, 2000, '{"data":{"id":"e2"}}'),
       (3, 'app', 'e3', 'webhookPingCreated', NULL, NULL, NULL, NULL, 3000, '{"data":{"id":"e3"}}');
INSERT INTO history (webhook, instance_id, state, event_time, received_at, event_seq)
VALUES ('app', 'u1', 'PROCESSING', NULL, 1000, 1), ('app', 'u1', 'COMPLETE', NULL, 2000, 2);
INSERT INTO jobs (id, event_seq, rule, action_index, kind, action, order_key, state, next_at, created_at, ready, finished)
  VALUES (1, 1, 'r', 0, 'http', '{}', 'app|u1|r|0', 'pending', 1000, 1000, 1, 0),
         (2, 2, 'r', 0, 'http', '{}', 'app|u1|r|0', 'pending', 2000, 2000, 0, 0);
)sql";
  ASSERT_EQ(store_at_version(path, 7, data), "");
  auto st = SqliteStore::open({path, ""}).value();
  EXPECT_EQ(count(path, "PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(count(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'history'"), 0);
  auto h = test::history(*st, "app", "u1").value();
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].state, "PROCESSING");
  EXPECT_EQ(h[1].state, "COMPLETE");
  auto first = lease_one(*st, 5000, 60000);
  ASSERT_TRUE(first.job);
  EXPECT_EQ(first.job->id, 1);
  EXPECT_FALSE(lease_one(*st, 5000, 60000).job) << "job 2 overtook job 1 of its order key";
  ASSERT_TRUE(test::record(*st, 1, {5000, 1, 200, "", "done", "", ""}, JobOutcome::done, 5000));
  auto second = lease_one(*st, 5001, 60000);
  ASSERT_TRUE(second.job);
  EXPECT_EQ(second.job->id, 2);
}

TEST_F(StoreTest, PruningAnEventDeletesItsJobsAndTheirAttempts) {
  test::ingest(*store, new_event("old-done", 1, 1000, "p"));
  auto j = lease_one(*store, 2000, 60000);
  ASSERT_TRUE(j.job);
  ASSERT_TRUE(test::record(*store, j.job->id, {2000, 1, 200, "", "done", "", ""}, JobOutcome::done, 2000));
  ASSERT_EQ(count(path, "SELECT count(*) FROM attempts"), 1);
  EXPECT_EQ(store->prune(10'000).value(), 1u);
  EXPECT_EQ(count(path, "SELECT count(*) FROM jobs"), 0);
  EXPECT_EQ(count(path, "SELECT count(*) FROM attempts"), 0);  // cascaded
}

TEST_F(StoreTest, ConcurrentIngestsShareCommits) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) test::ingest(*store, new_event("g" + std::to_string(t) + "-" + std::to_string(i), 1));
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(count(path, "SELECT count(*) FROM events"), 400);
  EXPECT_EQ(store->tasks(), 400u);
  EXPECT_LT(store->commits(), store->tasks()) << "no group commit happened";
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
    ASSERT_TRUE(test::accepted(test::ingest(*st, new_event("before", 2))));
  }
  TempDir dir;
  std::string path = dir.file("faulty.db");
  std::unique_ptr<SqliteStore> st;
};

TEST_F(StoreFaults, FailedCommitLeavesNothingHalfWritten) {
  test::set_fail_writes(true);
  auto failed = test::ingest(*st, new_event("during", 3));
  ASSERT_FALSE(failed);
  EXPECT_FALSE(failed.error().message.empty());
  EXPECT_FALSE(test::check_writable(*st));
  test::set_fail_writes(false);
  EXPECT_EQ(count(path, "SELECT count(*) FROM events"), 1);
  EXPECT_EQ(count(path, "SELECT count(*) FROM jobs"), 2);
  // The store recovers once the disk does, and the event can be delivered again.
  EXPECT_TRUE(test::accepted(test::ingest(*st, new_event("during", 3))));
  EXPECT_EQ(count(path, "SELECT count(*) FROM jobs"), 5);
  EXPECT_TRUE(test::check_writable(*st));
}

TEST_F(StoreFaults, AFailedLeaseSaysSoInsteadOfNothingDue) {
  test::set_fail_writes(true);
  auto failed = test::lease(*st, 2000, 60'000, 8);
  test::set_fail_writes(false);
  ASSERT_FALSE(failed) << "a failed lease must not read as nothing due";
  EXPECT_EQ(failed.error().code, make_error_code(errc::disk_full)) << failed.error().message;
  auto ok = test::lease(*st, 2000, 60'000, 8);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->jobs.size(), 2u);  // the jobs were never lost, only not leased
}

TEST_F(StoreFaults, NothingIsAcknowledgedBeforeItsFsync) {
  // Commits write the WAL without syncing; a separate thread fsyncs, and
  // only then are callers told. With the disk's fsync frozen, an ingest
  // has committed (another connection can read it) but has not returned.
  test::hold_syncs(true);
  std::promise<StoreResult<Ingested>> answered;
  st->ingest_async(new_event("held", 1), [&](StoreResult<Ingested> r) { answered.set_value(std::move(r)); });
  auto fut = answered.get_future();
  for (int i = 0; i < 500 && count(path, "SELECT count(*) FROM events WHERE event_id = 'held'") != 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(count(path, "SELECT count(*) FROM events WHERE event_id = 'held'"), 1) << "not committed";
  for (int i = 0; i < 500 && test::held_syncs() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_GE(test::held_syncs(), 1);
  EXPECT_EQ(fut.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout) << "acknowledged before fsync";
  test::hold_syncs(false);
  ASSERT_EQ(fut.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_TRUE(test::accepted(fut.get()));
}

// A lease does not wait for its own fsync (a lease lost in a crash leaves
// its jobs pending), but never hands out a job before the commit that
// stored it is durable: that event is not acknowledged yet.
TEST_F(StoreFaults, ALeaseWaitsForEarlierCommitsOnlyNotForItsOwn) {
  test::hold_syncs(true);  // the fixture's event ("before", two jobs) is durable already
  std::promise<StoreResult<Leased>> first;
  st->lease_async(2000, 60'000, 8, [&](StoreResult<Leased> b) { first.set_value(std::move(b)); });
  auto own = first.get_future();
  ASSERT_EQ(own.wait_for(std::chrono::seconds(10)), std::future_status::ready) << "the lease waited for its own fsync";
  EXPECT_EQ(own.get().value().jobs.size(), 2u);

  std::promise<StoreResult<Ingested>> answered;
  st->ingest_async(new_event("held", 1, 1000, "inst-2"), [&](StoreResult<Ingested> r) { answered.set_value(std::move(r)); });
  for (int i = 0; i < 500 && test::held_syncs() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_GE(test::held_syncs(), 1);
  std::promise<StoreResult<Leased>> second;
  st->lease_async(2000, 60'000, 8, [&](StoreResult<Leased> b) { second.set_value(std::move(b)); });
  auto behind = second.get_future();
  EXPECT_EQ(behind.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout)
      << "a job of an event not yet durable was leased";
  test::hold_syncs(false);
  auto ack = answered.get_future();
  ASSERT_EQ(ack.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_TRUE(test::accepted(ack.get()));
  ASSERT_EQ(behind.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(behind.get().value().jobs.size(), 1u);
}

TEST_F(StoreFaults, AFailedFsyncIsNeverAcknowledgedAndWritesWaitForAFullCheckpoint) {
  test::set_fail_syncs(true);
  auto during = test::ingest(*st, new_event("during", 1));
  ASSERT_FALSE(during);
  EXPECT_NE(during.error().message.find("store sync failed"), std::string::npos) << during.error().message;
  // While fsync fails, nothing is taken: the WAL cannot be folded in.
  auto refused = test::ingest(*st, new_event("refused", 1));
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("refused"), std::string::npos) << refused.error().message;
  EXPECT_FALSE(test::check_writable(*st));
  test::set_fail_syncs(false);
  // The disk answers again: the next write first checkpoints the whole WAL
  // into the database file (synced) and empties it, then goes ahead.
  EXPECT_TRUE(test::accepted(test::ingest(*st, new_event("after", 1))));
  EXPECT_TRUE(test::check_writable(*st));
  // "during" was committed, only its fsync failed: Apple's retry is a duplicate.
  EXPECT_TRUE(test::duplicate(test::ingest(*st, new_event("during", 1))));
  EXPECT_TRUE(test::accepted(test::ingest(*st, new_event("refused", 1))));
  st.reset();
  auto again = SqliteStore::open({path, ""}).value();
  EXPECT_EQ(count(path, "SELECT count(*) FROM events"), 4);
}

}  // namespace
}  // namespace asc_webhookd::store
