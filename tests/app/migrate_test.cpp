// `asc-webhookd migrate`: an SQLite store copied into PostgreSQL through
// the real binary: every row once, the same seqs and job ids, jobs the old
// daemon left running pending again; a second run copies nothing; a run
// killed with -9 halfway is completed by the next with nothing twice.
#include "asc_webhookd/store/postgres_store.hpp"
#include "asc_webhookd/store/sqlite_store.hpp"

#include "support/daemon.hpp"
#include "support/postgres.hpp"
#include "support/store_calls.hpp"
#include "support/store_events.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <signal.h>

#include <future>
#include <thread>

namespace asc_webhookd::test {
namespace {

using namespace std::chrono_literals;

// An SQLite store of `n` events, one job each, ingested together.
void fill(const std::string& path, int n) {
  auto st = store::SqliteStore::open({path, ""});
  ASSERT_TRUE(st) << st.error().message;
  std::promise<void> all;
  std::atomic<int> left{n};
  for (int i = 0; i < n; ++i)
    (*st)->ingest_async(new_event("m-" + std::to_string(i), 1, 1000 + i, "inst-" + std::to_string(i % 50)),
                        [&](store::StoreResult<store::Ingested> r) {
                          EXPECT_TRUE(r);
                          if (--left == 0) all.set_value();
                        });
  all.get_future().wait();
}

std::string config_for(const TempDir& dir, const std::string& url) {
  return dir.write("config.yaml", "store:\n  url: \"" + url + "\"\nwebhooks:\n  - name: app\n    secret: s3cr3t-value\n");
}

TEST(Migrate, CopiesEveryRowOnceKeepingNumbersAndASecondRunCopiesNothing) {
  TempDir dir;
  const std::string db = dir.file("state.db");
  fill(db, 30);
  {
    auto st = store::SqliteStore::open({db, ""});
    ASSERT_TRUE(st);
    auto done = lease_one(**st, 5000, 60000);  // one job done, with its attempt
    ASSERT_TRUE(done.job);
    ASSERT_TRUE(record(**st, done.job->id, {5000, 3, 200, "", "done", "sent", "POST /x → 200"},
                       store::JobOutcome::done, 5000));
    ASSERT_TRUE(lease_one(**st, 5001, 60000).job);  // one left running: its daemon is gone
    ASSERT_TRUE(kv_put(**st, "slack:thread:v1", "1700000000.000100"));
  }
  const std::string url = fresh_postgres_database();
  const std::string cfg = config_for(dir, url);
  auto first = run_binary({"migrate", "--from", db, "--config", cfg});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("events: 30 copied, 0 already there"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("jobs: 30 copied, 0 already there"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("attempts: 1 copied"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("kv: 1 copied"), std::string::npos) << first.out;

  auto again = run_binary({"migrate", "--from", db, "--config", cfg});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("events: 0 copied, 30 already there"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("attempts: 0 copied, 1 already there"), std::string::npos) << again.out;

  auto pg = store::PostgresStore::open({url});
  ASSERT_TRUE(pg) << pg.error().message;
  auto shown = event_named(**pg, "m-0").value();
  ASSERT_TRUE(shown);
  EXPECT_EQ(shown->seq, 1);
  ASSERT_EQ(shown->jobs.size(), 1u);
  EXPECT_EQ(shown->jobs[0].state, "done");
  ASSERT_EQ(shown->jobs[0].attempt_log.size(), 1u);
  EXPECT_EQ(shown->jobs[0].attempt_log[0].sent, "POST /x → 200");
  EXPECT_EQ((*pg)->count_jobs("running").value(), 0u);
  EXPECT_EQ((*pg)->count_jobs("pending").value(), 29u);
  EXPECT_EQ(kv_get(**pg, "slack:thread:v1").value(), std::optional<std::string>("1700000000.000100"));
  // New rows go after the copied ones.
  auto next = ingest(**pg, new_event("after", 1, 9000));
  ASSERT_TRUE(accepted(next));
  EXPECT_EQ(next->event_seq, 31);
  EXPECT_TRUE(duplicate(ingest(**pg, new_event("m-7", 1))));
}

TEST(Migrate, ARunKilledHalfwayIsCompletedByTheNextWithNothingCopiedTwice) {
  TempDir dir;
  const std::string db = dir.file("state.db");
  constexpr int kEvents = 20000;
  fill(db, kEvents);
  const std::string url = fresh_postgres_database();
  const std::string cfg = config_for(dir, url);
  {
    Daemon copying({"migrate", "--from", db, "--config", cfg});
    std::int64_t copied = 0;
    for (int i = 0; i < 600 && copied < 2000; ++i) {
      std::this_thread::sleep_for(10ms);
      try {
        copied = postgres_number(url, "SELECT count(*) FROM events");
      } catch (const std::exception&) {  // the tables are not there yet
      }
    }
    copying.signal(SIGKILL);
    ASSERT_EQ(copying.wait_exit(), -SIGKILL) << "the copy ended before it was killed: " << copied;
  }
  const auto before = postgres_number(url, "SELECT count(*) FROM events");
  EXPECT_GT(before, 0);
  EXPECT_LT(before, kEvents) << "killed after the whole copy";
  auto rest = run_binary({"migrate", "--from", db, "--config", cfg});
  ASSERT_EQ(rest.exit_code, 0) << rest.err;
  EXPECT_NE(rest.out.find("events: " + std::to_string(kEvents - before) + " copied, " + std::to_string(before) +
                          " already there"),
            std::string::npos)
      << rest.out;
  EXPECT_EQ(postgres_number(url, "SELECT count(*) FROM events"), kEvents);
  EXPECT_EQ(postgres_number(url, "SELECT count(DISTINCT event_id) FROM events"), kEvents);
  EXPECT_EQ(postgres_number(url, "SELECT count(*) FROM jobs"), kEvents);
}

TEST(Migrate, RefusesAConfigWithoutAPostgresUrlAndAMissingStore) {
  TempDir dir;
  const std::string cfg = dir.write("config.yaml", "store:\n  path: " + dir.file("x.db") +
                                                       "\nwebhooks:\n  - name: app\n    secret: s3cr3t-value\n");
  fill(dir.file("state.db"), 1);
  auto no_url = run_binary({"migrate", "--from", dir.file("state.db"), "--config", cfg});
  EXPECT_EQ(no_url.exit_code, 1);
  EXPECT_NE(no_url.err.find("has no store.url"), std::string::npos) << no_url.err;
  auto missing = run_binary({"migrate", "--from", dir.file("none.db"), "--config", cfg});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no store at " + dir.file("none.db")), std::string::npos) << missing.err;
  EXPECT_EQ(run_binary({"migrate", "--config", cfg}).exit_code, 2);
}

}  // namespace
}  // namespace asc_webhookd::test
