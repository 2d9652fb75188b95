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
