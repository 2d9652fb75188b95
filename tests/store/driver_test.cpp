// The store's driver tests: what every engine behind store::Store must do,
// through the interface alone (no SQL, no engine internals). Each engine is
// one INSTANTIATE_TEST_SUITE_P at the bottom; a new engine passes all of
// these before the daemon may use it. Engine-specific behaviour (files,
// fsync, faults, indexes) is tested beside the engine.
#include "asc_webhookd/store/postgres_store.hpp"
#include "asc_webhookd/store/sqlite_store.hpp"

#include "support/postgres.hpp"
#include "support/store_calls.hpp"
#include "support/store_events.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <thread>

namespace asc_webhookd::store {
namespace {

using test::accepted;
using test::duplicate;
using test::lease_one;
using test::new_event;

// An engine under test: opens its store for a test's directory; opening
// again for the same directory is the same store (a restart).
struct Engine {
  std::string name;
  std::function<std::unique_ptr<Store>(const test::TempDir& dir)> open;
};
// gtest prints the parameter in test listings: the engine's name, not its bytes.
void PrintTo(const Engine& e, std::ostream* os) { *os << e.name; }

Attempt attempt(std::int64_t at_ms, std::optional<int> status, const std::string& outcome) {
  return {at_ms, 1, status, outcome == "done" ? "" : "HTTP " + std::to_string(status.value_or(0)), outcome, "", ""};
}

bool names(const LeasedJob& job, const std::string& event_id) {
  return job.raw_event.find("\"" + event_id + "\"") != std::string::npos;
}

class StoreDriver : public ::testing::TestWithParam<Engine> {
protected:
  void SetUp() override { store = GetParam().open(dir); }
  // Closes the store and opens it again, as a restart does.
  void restart() {
    store.reset();
    store = GetParam().open(dir);
  }
  test::TempDir dir;
  std::unique_ptr<Store> store;
};

TEST_P(StoreDriver, AnIngestIsReadableWhenItAnswers) {
  auto r = test::ingest(*store, new_event("e1", 2));
  ASSERT_TRUE(accepted(r));
  EXPECT_EQ(r->jobs, 2u);
  EXPECT_GT(r->event_seq, 0);
  EXPECT_EQ(store->count_jobs("pending").value(), 2u);
  auto shown = test::event_named(*store, "e1").value();
  ASSERT_TRUE(shown);
  EXPECT_EQ(shown->seq, r->event_seq);
  EXPECT_EQ(shown->state, "pending");
  EXPECT_EQ(shown->instance_id, "inst-1");
  EXPECT_EQ(shown->jobs.size(), 2u);
  EXPECT_NE(shown->raw.find("\"e1\""), std::string::npos);
  auto h = test::history(*store, "app", "inst-1").value();
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].state, "COMPLETE");
}

TEST_P(StoreDriver, ADuplicateIsAnsweredAsOneAndPlansNothing) {
  ASSERT_TRUE(accepted(test::ingest(*store, new_event("e1", 2))));
  EXPECT_TRUE(duplicate(test::ingest(*store, new_event("e1", 2))));
  EXPECT_EQ(store->count_jobs("pending").value(), 2u);
  EXPECT_EQ(store->stats("").value().events, 1);
  // The same data.id on another webhook is another event.
  auto other = new_event("e1", 1);
  other.webhook = "other";
  EXPECT_TRUE(accepted(test::ingest(*store, std::move(other))));
  auto both = store->find_events("e1").value();
  ASSERT_EQ(both.size(), 2u);
  EXPECT_NE(Store::several_named("e1", both), "");
}

TEST_P(StoreDriver, DedupeHoldsAcrossARestart) {
  ASSERT_TRUE(accepted(test::ingest(*store, new_event("e1", 1))));
  restart();
  EXPECT_TRUE(duplicate(test::ingest(*store, new_event("e1", 1))));
  EXPECT_EQ(store->count_jobs("pending").value(), 1u);
}

TEST_P(StoreDriver, LeaseKeepsOrderPerInstanceAndRunsOtherInstancesInParallel) {
  test::ingest(*store, new_event("a", 1, 1000, "x"));
  test::ingest(*store, new_event("b", 1, 1001, "x"));
  test::ingest(*store, new_event("c", 1, 1002, "y"));
  auto first = lease_one(*store, 5000, 60000);
  auto second = lease_one(*store, 5000, 60000);
  ASSERT_TRUE(first.job && second.job);
  // "b" waits for "a" (same instance); "c" (another instance) does not.
  EXPECT_TRUE(names(*first.job, "a"));
  EXPECT_TRUE(names(*second.job, "c"));
  EXPECT_FALSE(lease_one(*store, 5000, 60000).job);
  // "a" fails and is rescheduled: "b" still waits behind it.
  ASSERT_TRUE(test::record(*store, first.job->id, attempt(5000, 503, "retry"), JobOutcome::retry, 9000));
  auto none = lease_one(*store, 6000, 60000);
  EXPECT_FALSE(none.job);
  EXPECT_EQ(none.next_due_ms, std::optional<std::int64_t>(9000));
  auto again = lease_one(*store, 9000, 60000);
  ASSERT_TRUE(again.job);
  EXPECT_EQ(again.job->id, first.job->id);
  EXPECT_EQ(again.job->attempts, 1);
  ASSERT_TRUE(test::record(*store, again.job->id, attempt(9000, 200, "done"), JobOutcome::done, 9000));
  auto b = lease_one(*store, 9001, 60000);
  ASSERT_TRUE(b.job);
  EXPECT_TRUE(names(*b.job, "b"));
}

TEST_P(StoreDriver, ALeaseBatchNeverHoldsTwoJobsOfOneInstance) {
  for (int i = 0; i < 5; ++i) {
    test::ingest(*store, new_event("x-" + std::to_string(i), 1, 1000 + i, "x"));
    test::ingest(*store, new_event("y-" + std::to_string(i), 1, 1000 + i, "y"));
  }
  auto batch = test::lease(*store, 5000, 60000, 64).value();
  ASSERT_EQ(batch.jobs.size(), 2u);
  EXPECT_TRUE(names(batch.jobs[0], "x-0") || names(batch.jobs[1], "x-0"));
  EXPECT_TRUE(names(batch.jobs[0], "y-0") || names(batch.jobs[1], "y-0"));
}

TEST_P(StoreDriver, ABacklogBehindAJobInBackoffFollowsItOneAtATimeInOrder) {
  test::ingest(*store, new_event("x-0", 1, 1000, "x"));
  auto head = lease_one(*store, 1000, 60000);
  ASSERT_TRUE(head.job);
  ASSERT_TRUE(test::record(*store, head.job->id, attempt(1000, 503, "retry"), JobOutcome::retry, 90'000));
  for (int i = 1; i <= 30; ++i) test::ingest(*store, new_event("x-" + std::to_string(i), 1, 1000 + i, "x"));
  test::ingest(*store, new_event("y-0", 1, 2000, "y"));
  auto y = lease_one(*store, 5000, 60000);
  ASSERT_TRUE(y.job);
  EXPECT_TRUE(names(*y.job, "y-0"));
  auto none = lease_one(*store, 5000, 60000);
  EXPECT_FALSE(none.job);
  EXPECT_EQ(none.next_due_ms, std::optional<std::int64_t>(65'000));  // y-0's lease, before x-0's retry at 90 s
  ASSERT_TRUE(test::record(*store, y.job->id, attempt(5000, 200, "done"), JobOutcome::done, 5000));
  auto again = lease_one(*store, 90'000, 60000);
  ASSERT_TRUE(again.job);
  EXPECT_EQ(again.job->id, head.job->id);
  ASSERT_TRUE(test::record(*store, again.job->id, attempt(90'000, 200, "done"), JobOutcome::done, 90'000));
  for (int i = 1; i <= 30; ++i) {
    auto next = lease_one(*store, 90'000 + i, 60000);
    ASSERT_TRUE(next.job) << i;
    ASSERT_TRUE(names(*next.job, "x-" + std::to_string(i))) << i;
    EXPECT_FALSE(lease_one(*store, 90'000 + i, 60000).job) << "two jobs of one instance at once, at " << i;
    ASSERT_TRUE(test::record(*store, next.job->id, attempt(90'000 + i, 200, "done"), JobOutcome::done, 90'000 + i));
  }
  EXPECT_EQ(store->count_jobs("done").value(), 32u);
  EXPECT_EQ(store->count_jobs("pending").value(), 0u);
}

TEST_P(StoreDriver, ARequeuedJobGoesBeforeLaterJobsOfItsInstanceThatHaveNotStarted) {
  auto a_seq = test::ingest(*store, new_event("a", 1, 1000, "x"))->event_seq;
  auto a = lease_one(*store, 1000, 60000);
  ASSERT_TRUE(a.job);
  ASSERT_TRUE(test::record(*store, a.job->id, attempt(1000, 404, "dead"), JobOutcome::dead, 1000));
  test::ingest(*store, new_event("b", 1, 2000, "x"));
  test::ingest(*store, new_event("c", 1, 2001, "x"));
  EXPECT_EQ(store->retry_event(a_seq, 3000).value(), 1u);
  auto first = lease_one(*store, 3000, 60000);
  ASSERT_TRUE(first.job);
  EXPECT_EQ(first.job->id, a.job->id);
  EXPECT_FALSE(lease_one(*store, 3000, 60000).job);
  ASSERT_TRUE(test::record(*store, first.job->id, attempt(3000, 200, "done"), JobOutcome::done, 3000));
  auto b = lease_one(*store, 3001, 60000);
  ASSERT_TRUE(b.job);
  EXPECT_TRUE(names(*b.job, "b"));
  // Stopped mid-attempt (SIGTERM): b goes back to pending, still first.
  ASSERT_TRUE(test::release(*store, {b.job->id}));
  auto b_again = lease_one(*store, 3002, 60000);
  ASSERT_TRUE(b_again.job);
  EXPECT_EQ(b_again.job->id, b.job->id);
  EXPECT_EQ(b_again.job->attempts, 0) << "a release is not an attempt";
}

TEST_P(StoreDriver, OrderPerInstanceHoldsAcrossARestart) {
  test::ingest(*store, new_event("a", 1, 1000, "x"));
  test::ingest(*store, new_event("b", 1, 1001, "x"));
  auto a = lease_one(*store, 2000, 600'000);  // running when the process dies
  ASSERT_TRUE(a.job);
  restart();
  EXPECT_EQ(store->recover_running().value(), 1u);
  auto first = lease_one(*store, 2001, 60000);
  ASSERT_TRUE(first.job);
  EXPECT_EQ(first.job->id, a.job->id);
  EXPECT_FALSE(lease_one(*store, 2001, 60000).job) << "b overtook a across the restart";
  ASSERT_TRUE(test::record(*store, first.job->id, attempt(2001, 200, "done"), JobOutcome::done, 2001));
  auto b = lease_one(*store, 2002, 60000);
  ASSERT_TRUE(b.job);
  EXPECT_TRUE(names(*b.job, "b"));
}

TEST_P(StoreDriver, AnExpiredLeaseMakesTheJobDueAgain) {
  test::ingest(*store, new_event("a", 1));
  auto j = lease_one(*store, 1000, 500);
  ASSERT_TRUE(j.job);
  EXPECT_FALSE(lease_one(*store, 1400, 500).job);
  auto again = lease_one(*store, 1500, 500);
  ASSERT_TRUE(again.job);
  EXPECT_EQ(again.job->id, j.job->id);
}

// `job retry 2` once also requeued event seq 2's jobs: a job id is a job id.
TEST_P(StoreDriver, RetryingAJobNowActsOnThatJobAndSaysWhatItFound) {
  test::ingest(*store, new_event("first", 1, 1000, "x"));
  test::ingest(*store, new_event("second", 2, 1000, "y"));
  std::vector<std::int64_t> dead;
  for (int i = 0; i < 3; ++i) {
    auto j = lease_one(*store, 1000, 60000);
    ASSERT_TRUE(j.job);
    dead.push_back(j.job->id);
    ASSERT_TRUE(test::record(*store, j.job->id, attempt(1000, 404, "dead"), JobOutcome::dead, 1000));
  }
  EXPECT_EQ(store->count_jobs("dead").value(), 3u);
  EXPECT_EQ(store->retry_job_now(dead[1], 2000).value(), RetryOutcome::requeued);
  EXPECT_EQ(store->count_jobs("dead").value(), 2u);
  EXPECT_EQ(store->retry_job_now(999'999, 2000).value(), RetryOutcome::not_found);
  auto j = lease_one(*store, 2000, 60000);
  ASSERT_TRUE(j.job);
  EXPECT_EQ(j.job->id, dead[1]);
  EXPECT_EQ(j.job->attempts, 0);
  EXPECT_EQ(store->retry_job_now(dead[1], 2000).value(), RetryOutcome::running);
  ASSERT_TRUE(test::record(*store, j.job->id, attempt(2000, 200, "done"), JobOutcome::done, 2000));
  EXPECT_EQ(store->retry_job_now(dead[1], 2000).value(), RetryOutcome::done);
  // A job waiting in backoff is made due now, its attempts kept.
  test::ingest(*store, new_event("third", 1, 3000, "z"));
  auto z = lease_one(*store, 3000, 60000);
  ASSERT_TRUE(z.job);
  ASSERT_TRUE(test::record(*store, z.job->id, attempt(3000, 503, "retry"), JobOutcome::retry, 999'000));
  EXPECT_EQ(store->retry_job_now(z.job->id, 4000).value(), RetryOutcome::requeued);
  auto due = lease_one(*store, 4000, 60000);
  ASSERT_TRUE(due.job);
  EXPECT_EQ(due.job->id, z.job->id);
  EXPECT_EQ(due.job->attempts, 1);
}

TEST_P(StoreDriver, DeadJobsAreListedShownAndRequeuedByEvent) {
  test::ingest(*store, new_event("a", 1));
  auto j = lease_one(*store, 1000, 60000);
  ASSERT_TRUE(j.job);
  ASSERT_TRUE(test::record(*store, j.job->id, {1000, 5, 404, "HTTP 404: Not Found", "dead", "", "POST /x\n→ 404\n"},
                           JobOutcome::dead, 1000));
  auto dead = test::events_in(*store, "dead").value();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].event_id, "a");
  auto shown = test::event_named(*store, "a").value();
  ASSERT_TRUE(shown);
  ASSERT_EQ(shown->jobs.size(), 1u);
  EXPECT_EQ(shown->jobs[0].state, "dead");
  EXPECT_EQ(shown->jobs[0].last_error, "HTTP 404: Not Found");
  ASSERT_EQ(shown->jobs[0].attempt_log.size(), 1u);
  EXPECT_EQ(shown->jobs[0].attempt_log[0].http_status, 404);
  EXPECT_EQ(shown->jobs[0].attempt_log[0].sent, "POST /x\n→ 404\n");
  EXPECT_EQ(store->retry_event(shown->seq, 2000).value(), 1u);
  EXPECT_TRUE(test::events_in(*store, "dead").value().empty());
  EXPECT_EQ(test::events_in(*store, "pending").value().size(), 1u);
  EXPECT_EQ(store->retry_event(shown->seq, 2000).value(), 0u);  // nothing dead any more
  auto again = lease_one(*store, 2000, 60000);
  ASSERT_TRUE(again.job);
  EXPECT_EQ(again.job->attempts, 0);
}

TEST_P(StoreDriver, AnEventIsNamedByItsIdOrBySeq) {
  auto seq = test::ingest(*store, new_event("named", 0))->event_seq;
  EXPECT_EQ(store->find_events("#" + std::to_string(seq)).value().at(0).event_id, "named");
  EXPECT_TRUE(store->find_events(std::to_string(seq)).value().empty());  // a data.id, not a seq
  EXPECT_TRUE(store->find_events("nothing").value().empty());
  EXPECT_FALSE(store->event(seq + 1000).value());
}

TEST_P(StoreDriver, PruneRemovesOnlyOldDoneEvents) {
  test::ingest(*store, new_event("old-done", 1, 1000, "p"));
  test::ingest(*store, new_event("old-pending", 1, 1000, "q"));
  test::ingest(*store, new_event("old-nojobs", 0, 1000, "r"));
  test::ingest(*store, new_event("new-done", 0, 50'000, "s"));
  auto j = lease_one(*store, 2000, 60000);
  ASSERT_TRUE(j.job);
  ASSERT_TRUE(names(*j.job, "old-done"));
  ASSERT_TRUE(test::record(*store, j.job->id, attempt(2000, 200, "done"), JobOutcome::done, 2000));
  EXPECT_EQ(store->prune(10'000).value(), 2u);
  EXPECT_EQ(store->stats("").value().events, 2);
  EXPECT_TRUE(test::event_named(*store, "old-pending").value());
  EXPECT_TRUE(test::event_named(*store, "new-done").value());
  EXPECT_FALSE(test::event_named(*store, "old-done").value());
  // Pruned means forgotten: the same id is new again (dedupe window = retention).
  EXPECT_TRUE(accepted(test::ingest(*store, new_event("old-done", 0, 60'000, "p"))));
}

TEST_P(StoreDriver, ConcurrentIngestsAllLandOnce) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i)
        test::ingest(*store, new_event("g" + std::to_string(t) + "-" + std::to_string(i), 1, 1000, "i" + std::to_string(i)));
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(store->stats("").value().events, 400);
  EXPECT_EQ(store->count_jobs("pending").value(), 400u);
}

TEST_P(StoreDriver, HistoryKeyValueAndTheWriteProbe) {
  test::ingest(*store, new_event("h1", 0, 1000, "v"));
  test::ingest(*store, new_event("h2", 0, 2000, "v", "FAILED"));
  auto h = test::history(*store, "app", "v").value();
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].state, "COMPLETE");
  EXPECT_EQ(h[1].state, "FAILED");
  EXPECT_TRUE(test::history(*store, "other", "v").value().empty());
  EXPECT_EQ(test::kv_get(*store, "slack:thread:x").value(), std::nullopt);
  ASSERT_TRUE(test::kv_put(*store, "slack:thread:x", "1700000000.000100"));
  EXPECT_EQ(test::kv_get(*store, "slack:thread:x").value(), "1700000000.000100");
  ASSERT_TRUE(test::kv_put(*store, "slack:thread:x", "1700000000.000200"));
  EXPECT_EQ(test::kv_get(*store, "slack:thread:x").value(), "1700000000.000200");
  ASSERT_TRUE(test::kv_put(*store, "reconcile:app", "{}"));
  EXPECT_EQ(store->stats("reconcile:").value().kv_by_prefix, (std::map<std::string, std::string>{{"reconcile:app", "{}"}}));
  EXPECT_TRUE(test::check_writable(*store));
  restart();
  EXPECT_EQ(test::kv_get(*store, "slack:thread:x").value(), "1700000000.000200");
}

TEST_P(StoreDriver, ReplayedJobsQueueBehindTheJobsOfTheirInstance) {
  auto seq = test::ingest(*store, new_event("r1", 1, 1000, "x"))->event_seq;
  test::ingest(*store, new_event("r2", 1, 1001, "x"));
  auto added = store->add_jobs(seq, {{"again", 0, "http", R"({"kind":"http"})", "app|buildUploads|x|rule|0"}}, 2000);
  ASSERT_TRUE(added);
  ASSERT_EQ(added->size(), 1u);
  std::vector<std::int64_t> order;
  for (int i = 0; i < 3; ++i) {
    auto j = lease_one(*store, 3000 + i, 60000);
    ASSERT_TRUE(j.job) << i;
    EXPECT_FALSE(lease_one(*store, 3000 + i, 60000).job) << i;
    order.push_back(j.job->id);
    ASSERT_TRUE(test::record(*store, j.job->id, attempt(3000 + i, 200, "done"), JobOutcome::done, 3000 + i));
  }
  EXPECT_EQ(order.back(), added->front()) << "the replayed job overtook a job queued before it";
  EXPECT_EQ(test::event_named(*store, "r1").value()->jobs.size(), 2u);
}

TEST_P(StoreDriver, StatsAndCountsAgreeWithWhatHappened) {
  test::ingest(*store, new_event("s1", 2, 1000, "a"));
  test::ingest(*store, new_event("s2", 1, 2000, "b"));
  auto j = lease_one(*store, 3000, 60000);
  ASSERT_TRUE(j.job);
  ASSERT_TRUE(test::record(*store, j.job->id, attempt(3000, 404, "dead"), JobOutcome::dead, 3000));
  auto running = lease_one(*store, 3000, 60000);
  ASSERT_TRUE(running.job);
  EXPECT_EQ(store->count_jobs("dead").value(), 1u);
  EXPECT_EQ(store->count_jobs("running").value(), 1u);
  EXPECT_EQ(store->count_jobs("pending").value(), 1u);
  EXPECT_EQ(store->count_jobs("done").value(), 0u);
  auto stats = store->stats("").value();
  EXPECT_EQ(stats.events, 2);
  EXPECT_EQ(stats.events_by_webhook["app"], 2);
  EXPECT_EQ(stats.jobs_by_state["dead"], 1);
  EXPECT_EQ(stats.jobs_by_kind["http"]["dead"], 1);
  EXPECT_EQ(stats.last_event_ms, std::optional<std::int64_t>(2000));
}

std::unique_ptr<Store> open_sqlite(const test::TempDir& dir) {
  auto st = SqliteStore::open({dir.file("state.db"), ""});
  if (!st) throw std::runtime_error(st.error().message);
  return std::move(*st);
}

// A database of its own per test directory, named in the directory so a
// restart opens the same one.
std::unique_ptr<Store> open_postgres(const test::TempDir& dir) {
  const std::string named = dir.file("postgres.url");
  std::string url;
  if (std::filesystem::exists(named)) {
    std::ifstream(named) >> url;
  } else {
    url = test::fresh_postgres_database();
    std::ofstream(named) << url;
  }
  auto st = PostgresStore::open({url});
  if (!st) throw std::runtime_error(st.error().message);
  return std::move(*st);
}

INSTANTIATE_TEST_SUITE_P(Engines, StoreDriver,
                         ::testing::Values(Engine{"sqlite", open_sqlite}, Engine{"postgres", open_postgres}),
                         [](const auto& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace asc_webhookd::store
