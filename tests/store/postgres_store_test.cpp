// What only the PostgreSQL engine does: several replicas (here, two stores
// on one database) share leadership, the jobs of the dead and the news of
// new jobs. The rest of its behaviour is the driver tests'.
#include "asc_webhookd/store/postgres_store.hpp"

#include "support/postgres.hpp"
#include "support/store_calls.hpp"
#include "support/store_events.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <thread>

namespace asc_webhookd::store {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<PostgresStore> replica(const std::string& url) {
  auto st = PostgresStore::open({url});
  if (!st) throw std::runtime_error(st.error().message);
  return std::move(*st);
}

using test::release_lead;
using test::try_lead;

TEST(PostgresReplicas, OneReplicaLeadsATaskAtATimeAndADeadOneLetsGo) {
  const auto url = test::fresh_postgres_database();
  auto a = replica(url);
  auto b = replica(url);
  EXPECT_TRUE(try_lead(*a, "reconcile").value());
  EXPECT_FALSE(try_lead(*b, "reconcile").value());
  EXPECT_TRUE(try_lead(*b, "another task").value());
  ASSERT_TRUE(release_lead(*a, "reconcile"));
  EXPECT_TRUE(try_lead(*b, "reconcile").value());
  EXPECT_FALSE(try_lead(*a, "reconcile").value());
  b.reset();  // its connection ends: the lead is free
  bool led = false;
  for (int i = 0; i < 100 && !led; ++i) {
    led = try_lead(*a, "reconcile").value();
    if (!led) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(led);
}

TEST(PostgresReplicas, ARestartTakesBackOnlyTheJobsOfReplicasThatAreGone) {
  const auto url = test::fresh_postgres_database();
  auto a = replica(url);
  auto b = replica(url);
  ASSERT_TRUE(test::accepted(test::ingest(*a, test::new_event("e1", 1, 1000, "x"))));
  ASSERT_TRUE(test::accepted(test::ingest(*a, test::new_event("e2", 1, 1000, "y"))));
  auto held = test::lease_one(*a, 2000, 600'000);
  ASSERT_TRUE(held.job);
  EXPECT_EQ(b->recover_running().value(), 0u) << "a's job was taken while a is alive";
  a.reset();  // a dies mid-attempt
  std::size_t taken = 0;
  for (int i = 0; i < 100 && taken == 0; ++i) {
    taken = b->recover_running().value();
    if (taken == 0) std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(taken, 1u);
  auto again = test::lease_one(*b, 2001, 60000);
  ASSERT_TRUE(again.job);
  EXPECT_EQ(again.job->id, held.job->id);
}

// The connection is lost after a lease committed (its answer with it): once
// the store is back, the jobs this replica leased on the old connection and
// does not hold go back to pending; those it holds, and other replicas'
// jobs, stay leased.
TEST(PostgresReplicas, AfterALostConnectionTheJobsLeasedOnItButNotHeldAreTakenBack) {
  const auto url = test::fresh_postgres_database();
  auto a = replica(url);
  auto b = replica(url);
  for (const char* id : {"t1", "t2", "t3"})
    ASSERT_TRUE(test::accepted(test::ingest(*a, test::new_event(id, 1, 1000, std::string("inst-") + id))));
  auto held = test::lease_one(*a, 2000, 600'000);   // a runs it
  auto lost = test::lease_one(*a, 2000, 600'000);   // its answer "lost": a does not hold it
  auto other = test::lease_one(*b, 2000, 600'000);  // b's
  ASSERT_TRUE(held.job && lost.job && other.job);
  auto taken_before = test::wait_store<std::size_t>([&](auto cb) { a->take_back_unheld_async({held.job->id}, std::move(cb)); });
  EXPECT_EQ(taken_before.value(), 0u) << "nothing is taken back while the connection is the one that leased";
  // The server ends a's connection (as a restart would); a's next call reconnects.
  EXPECT_EQ(test::postgres_number(url, "SELECT count(pg_terminate_backend(leased_by)) FROM (SELECT DISTINCT leased_by FROM jobs"
                                       " WHERE id IN (" + std::to_string(held.job->id) + ")) x"), 1);
  std::size_t taken = 0;
  for (int i = 0; i < 100; ++i) {
    auto r = test::wait_store<std::size_t>([&](auto cb) { a->take_back_unheld_async({held.job->id}, std::move(cb)); });
    if (r) {
      taken = *r;
      break;
    }
    std::this_thread::sleep_for(20ms);  // the first call after the kill fails: the connection is gone
  }
  EXPECT_EQ(taken, 1u);
  EXPECT_EQ(test::postgres_number(url, "SELECT count(*) FROM jobs WHERE state = 'running'"), 2);
  auto again = test::lease_one(*a, 2001, 60'000);
  ASSERT_TRUE(again.job);
  EXPECT_EQ(again.job->id, lost.job->id);
}

TEST(PostgresReplicas, AJobStoredByOneReplicaWakesTheOthersButNotItself) {
  const auto url = test::fresh_postgres_database();
  auto a = replica(url);
  auto b = replica(url);
  std::mutex m;
  std::condition_variable cv;
  int a_calls = 0, b_calls = 0;
  ASSERT_TRUE(a->watch_changes([&] {
    std::lock_guard lock(m);
    ++a_calls;
    cv.notify_all();
  }));
  ASSERT_TRUE(b->watch_changes([&] {
    std::lock_guard lock(m);
    ++b_calls;
    cv.notify_all();
  }));
  std::this_thread::sleep_for(200ms);  // both listening
  ASSERT_TRUE(test::accepted(test::ingest(*a, test::new_event("wake", 1))));
  std::unique_lock lock(m);
  EXPECT_TRUE(cv.wait_for(lock, 10s, [&] { return b_calls > 0; })) << "b was not woken";
  lock.unlock();
  std::this_thread::sleep_for(200ms);
  lock.lock();
  EXPECT_EQ(a_calls, 0) << "a was told of its own commit";
}

}  // namespace
}  // namespace asc_webhookd::store
