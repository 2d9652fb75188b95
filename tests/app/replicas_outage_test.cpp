// Replicas whose database goes away, through the real binary: the server
// stopped under load, and one replica cut off from it (a partition). 503s
// meanwhile, /readyz saying why, recovery by itself, nothing lost and
// nothing delivered twice beyond an attempt in flight.
#include "replica.hpp"

#include "support/postgres.hpp"
#include "support/severable_link.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace asc_webhookd::test {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

// The server stopped for 10 s while two replicas take a steady stream of
// events: every answer meanwhile is a 503 (nothing acknowledged that is not
// committed), /readyz names the database, and when the server is back both
// replicas resume by themselves with nothing lost.
TEST(Replicas, TheDatabaseStoppedUnderLoadIsA503ThatNamesItAndEverythingResumesWhenItIsBack) {
  PrivatePostgres server;
  FakeHttpServer sink;
  Replica a(server.url(), sink.url("/sink")), b(server.url(), sink.url("/sink"));
  ASSERT_NE(a.port, 0) << a.daemon->log();
  ASSERT_NE(b.port, 0) << b.daemon->log();
  const std::uint16_t ports[] = {a.port, b.port};

  std::mutex mutex;
  std::set<std::string> acknowledged;
  std::atomic<bool> away{false}, sending{true};
  std::atomic<int> acknowledged_while_away{0}, refused{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < 4; ++t)
    senders.emplace_back([&, t] {
      for (int k = 0; sending; ++k) {
        const std::string id = "away-" + std::to_string(t) + "-" + std::to_string(k);
        const auto body = upload_event(id, "inst-" + std::to_string(t), "S" + std::to_string(k));
        for (int which = k % 2; sending; which = 1 - which) {  // Apple's retries, to either replica
          const bool was_away = away;
          auto r = post_patiently(ports[which], body);
          if (r.status == 200) {
            std::lock_guard lock(mutex);
            acknowledged.insert(id);
            if (was_away && away) ++acknowledged_while_away;
            break;
          }
          EXPECT_EQ(r.status, 503) << r.body;
          ++refused;
          std::this_thread::sleep_for(50ms);
        }
      }
    });
  ASSERT_TRUE(sink.wait_for(20)) << a.daemon->log();

  server.halt();
  away = true;
  std::this_thread::sleep_for(2s);
  for (const Replica* r : {&a, &b}) {
    auto ready = r->get("/readyz");
    EXPECT_EQ(ready.status, 503);
    EXPECT_NE(ready.body.find("cannot reach the database postgres"), std::string::npos) << ready.body;
    EXPECT_EQ(r->get("/healthz").status, 200) << "the process itself is alive";
  }
  std::this_thread::sleep_for(8s);
  away = false;
  server.resume();

  for (const Replica* r : {&a, &b}) {
    RawResponse ready;
    for (int i = 0; i < 300 && ready.status != 200; ++i) {  // the next batch connects again
      ready = r->get("/readyz");
      if (ready.status != 200) std::this_thread::sleep_for(100ms);
    }
    EXPECT_EQ(ready.status, 200) << ready.body << r->daemon->log();
  }
  std::this_thread::sleep_for(1s);
  sending = false;
  for (auto& t : senders) t.join();

  EXPECT_EQ(acknowledged_while_away.load(), 0) << "an event was acknowledged while the database was away";
  EXPECT_GT(refused.load(), 0);
  EXPECT_EQ(postgres_number(server.url(), "SELECT count(*) FROM events"), static_cast<std::int64_t>(acknowledged.size()))
      << "every acknowledged event stored, and only those";
  const auto seen = wait_delivered(sink, acknowledged.size());
  EXPECT_EQ(seen.size(), acknowledged.size()) << "not every acknowledged event was delivered";
  for (const auto& [id, n] : seen) {
    EXPECT_TRUE(acknowledged.contains(id)) << id;
    EXPECT_EQ(n, 1) << id << " delivered " << n << " times";
  }
  EXPECT_EQ(a.daemon->log().find("postgres@"), std::string::npos) << "the URL is not logged";
  std::cout << "acknowledged=" << acknowledged.size() << " refused=" << refused << "\n";
}

// One replica cut off from the database (its TCP path to the server stops
// carrying anything, as in a partition; nothing errors, so only its own
// limit on an unanswered statement notices): it answers 503 and /readyz
// says why, the other goes on storing and delivering, and once the path is
// back the cut one recovers by itself. Every event answered 200 is stored
// once and delivered; a delivery is repeated only for an attempt the cut
// replica had in flight.
TEST(Replicas, AReplicaCutOffFromTheDatabaseAnswers503WhileTheOtherDeliversAndNothingRepeatsBeyondItsAttemptsInFlight) {
  const std::string url = fresh_postgres_database();
  SeverableLink link(postgres_socket_path());
  // A slow sink: the cut replica has attempts in flight when the cut comes.
  FakeHttpServer sink([](const FakeRequest&) {
    std::this_thread::sleep_for(100ms);
    return FakeResponse{};
  });
  Replica a(url, sink.url("/sink")), b(postgres_url_via(url, link.port()), sink.url("/sink"));
  ASSERT_NE(a.port, 0) << a.daemon->log();
  ASSERT_NE(b.port, 0) << b.daemon->log();
  const std::uint16_t ports[] = {a.port, b.port};

  std::mutex mutex;
  std::map<std::string, std::string> answered;        // event id → accepted | duplicate
  std::set<std::string> accepted_by_a_while_cut;
  std::atomic<bool> cut{false}, sending{true};
  std::atomic<int> b_503{0}, b_other{0};
  // Many instances: those whose next job the cut replica holds wait for it.
  constexpr int kSenders = 8, kInstances = 40;
  std::vector<std::thread> senders;
  for (int t = 0; t < kSenders; ++t)
    senders.emplace_back([&, t] {
      int next = t;
      for (int k = 0; sending; ++k)
        for (int i = t; i < kInstances; i += kSenders) {
          const std::string id = "p" + std::to_string(i) + "-" + std::to_string(k);
          const auto body = upload_event(id, "inst-" + std::to_string(i), "S" + std::to_string(k));
          std::string status;
          for (int tries = 0; tries < 100 && status.empty(); ++tries) {
            const int which = next++ % 2;
            const bool was_cut = cut;
            auto r = post_patiently(ports[which], body);
            if (r.status == 200) {
              status = json::parse(r.body)["status"].get<std::string>();
              std::lock_guard lock(mutex);
              if (which == 0 && was_cut && cut) accepted_by_a_while_cut.insert(id);
            } else if (which == 1) {
              (r.status == 503 ? b_503 : b_other)++;
            }
          }
          std::lock_guard lock(mutex);
          answered[id] = status;
        }
    });

  ASSERT_TRUE(sink.wait_for(20)) << a.daemon->log() << b.daemon->log();
  cut = true;
  link.sever();
  std::this_thread::sleep_for(12s);  // past the 10 s a replica waits for an answer
  auto ready = b.get("/readyz");
  EXPECT_EQ(ready.status, 503) << ready.body;
  EXPECT_NE(ready.body.find("cannot reach the database"), std::string::npos) << ready.body;
  std::this_thread::sleep_for(4s);
  std::vector<std::string> delivered_while_cut;
  for (const auto& r : sink.requests()) delivered_while_cut.push_back(id_of(r.body));
  cut = false;
  link.restore();

  // The cut replica comes back by itself.
  RawResponse back;
  for (int i = 0; i < 300 && back.status != 200; ++i) {
    back = b.get("/readyz");
    if (back.status != 200) std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(back.status, 200) << back.body << b.daemon->log();
  std::this_thread::sleep_for(2s);  // and takes events again
  sending = false;
  for (auto& t : senders) t.join();

  EXPECT_GT(b_503.load(), 0) << "the cut replica never answered 503";
  std::size_t a_delivered_while_cut = 0;
  {
    std::set<std::string> ids(delivered_while_cut.begin(), delivered_while_cut.end());
    for (const auto& id : accepted_by_a_while_cut) a_delivered_while_cut += ids.count(id);
  }
  EXPECT_GT(a_delivered_while_cut, 0u) << "nothing the other replica took during the cut was delivered during it";

  std::size_t events = 0;
  for (const auto& [id, status] : answered) {
    EXPECT_FALSE(status.empty()) << id << " never answered 200";
    events += !status.empty();
  }
  EXPECT_EQ(postgres_number(url, "SELECT count(*) FROM events"), static_cast<std::int64_t>(events));
  const auto seen = wait_delivered(sink, events);
  ASSERT_EQ(seen.size(), events) << "not every event was delivered" << b.daemon->log();
  const auto repeats = repeats_in(seen);
  // At most the cut replica's attempts in flight (delivery.concurrency: 8).
  EXPECT_LE(repeats, 8u) << "repeats beyond the attempts in flight";
  expect_each_instance_in_order(sink);
  std::cout << "events=" << events << " b_503=" << b_503 << " b_other=" << b_other
            << " a_delivered_while_cut=" << a_delivered_while_cut << " repeats=" << repeats << "\n";
  RecordProperty("repeats", static_cast<int>(repeats));
}

}  // namespace
}  // namespace asc_webhookd::test
