// Several replicas on one PostgreSQL, through the real binary: two daemons
// with the same store.url share dedupe, the queue and the operator's view;
// a database that goes away is a 503 with the reason and /readyz naming it,
// and everything resumes by itself when it is back.
#include "asc_webhookd/store/postgres_store.hpp"

#include "support/daemon.hpp"
#include "support/fake_http.hpp"
#include "support/pipeline.hpp"
#include "support/postgres.hpp"
#include "support/raw_client.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace asc_webhookd::test {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

const std::map<std::string, std::string> kEnv{{"HOOK_SECRET", "replica-secret"}, {"STORE_URL", ""}};

// One replica: its own config file (the same content for every replica).
struct Replica {
  TempDir dir;
  std::string config_path;
  std::unique_ptr<Daemon> daemon;
  std::uint16_t port = 0;

  Replica(const std::string& url, const std::string& sink) {
    config_path = dir.write(
        "config.yaml",
        "server:\n  listen: 127.0.0.1:0\nstore:\n  url: \"${env:STORE_URL}\"\ndelivery:\n  initial_backoff: 100ms\n"
        "  max_backoff: 200ms\nwebhooks:\n  - name: ios-app\n    secret: ${env:HOOK_SECRET}\nrules:\n"
        "  - name: forward\n    actions:\n      - http: { url: \"" + sink + "\" }\n");
    auto env = kEnv;
    env["STORE_URL"] = url;
    daemon = std::make_unique<Daemon>(std::vector<std::string>{"--config", config_path}, env);
    port = daemon->wait_listening();
  }
  RawResponse post(const std::string& body) const { return post_signed(port, "ios-app", body, "replica-secret"); }
  RawResponse get(const std::string& path) const {
    RawClient c(port);
    c.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
    auto r = c.read_response();
    return r ? *r : RawResponse{};
  }
};

std::string id_of(const std::string& body) { return json::parse(body)["data"]["id"].get<std::string>(); }

TEST(Replicas, TwoDaemonsOnOneDatabaseDedupeTogetherAndDeliverEachJobOnce) {
  const std::string url = fresh_postgres_database();
  FakeHttpServer sink;
  Replica a(url, sink.url("/sink")), b(url, sink.url("/sink"));
  ASSERT_NE(a.port, 0) << a.daemon->log();
  ASSERT_NE(b.port, 0) << b.daemon->log();

  // Each event to one replica, then its copy to the other: the copy is a
  // duplicate whichever replica stored the first.
  constexpr int kEvents = 40;
  for (int i = 0; i < kEvents; ++i) {
    const auto body = upload_event("rep-" + std::to_string(i), "u-" + std::to_string(i));
    const Replica& first = i % 2 ? a : b;
    const Replica& second = i % 2 ? b : a;
    auto stored = first.post(body);
    ASSERT_EQ(stored.status, 200) << stored.body;
    EXPECT_EQ(json::parse(stored.body)["status"], "accepted") << stored.body;
    auto again = second.post(body);
    ASSERT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(json::parse(again.body)["status"], "duplicate") << again.body;
  }
  ASSERT_TRUE(sink.wait_for(kEvents)) << a.daemon->log() << b.daemon->log();
  std::this_thread::sleep_for(500ms);  // a second delivery would come within the wake-up
  std::multiset<std::string> delivered;
  for (const auto& r : sink.requests()) delivered.insert(id_of(r.body));
  EXPECT_EQ(delivered.size(), static_cast<std::size_t>(kEvents)) << "a job was delivered twice";
  for (int i = 0; i < kEvents; ++i) EXPECT_EQ(delivered.count("rep-" + std::to_string(i)), 1u) << i;

  // The operator's commands see the whole store, from either replica's config.
  auto env = kEnv;
  env["STORE_URL"] = url;
  auto listed = run_binary({"events", "--config", b.config_path, "--limit", "100"}, env);
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  for (int i = 0; i < kEvents; ++i) EXPECT_NE(listed.out.find("rep-" + std::to_string(i) + "\t"), std::string::npos) << i;
  EXPECT_EQ(listed.out.find("replica-secret"), std::string::npos);
}

TEST(Replicas, TheDatabaseAwayIsA503ThatNamesItAndEverythingResumesWhenItIsBack) {
  PrivatePostgres server;
  FakeHttpServer sink;
  Replica r(server.url(), sink.url("/sink"));
  ASSERT_NE(r.port, 0) << r.daemon->log();
  ASSERT_EQ(r.post(upload_event("away-1", "u-1")).status, 200);
  ASSERT_TRUE(sink.wait_for(1));

  server.halt();
  auto refused = r.post(upload_event("away-2", "u-2"));
  EXPECT_EQ(refused.status, 503) << refused.body;
  auto ready = r.get("/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("cannot reach the database postgres"), std::string::npos) << ready.body;
  EXPECT_EQ(r.get("/healthz").status, 200) << "the process itself is alive";

  server.resume();
  RawResponse stored;
  for (int i = 0; i < 100 && stored.status != 200; ++i) {  // the next batch connects again
    stored = r.post(upload_event("away-2", "u-2"));
    if (stored.status != 200) std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(stored.status, 200) << stored.body << r.daemon->log();
  EXPECT_EQ(json::parse(stored.body)["status"], "accepted") << "the 503 must not have stored it";
  EXPECT_EQ(r.get("/readyz").status, 200);
  ASSERT_TRUE(sink.wait_for(2)) << r.daemon->log();
  EXPECT_EQ(id_of(sink.requests().at(1).body), "away-2");
  EXPECT_EQ(r.daemon->log().find("postgres@"), std::string::npos) << "the URL is not logged";
}


// Three replicas take 1,000 events of 50 instances (200 under ASan), sent to them in turn
// (the client moves to the next on a refused connection or a 503, as a
// proxy does), while one replica after another is killed with -9 and
// started again: every event answered 200 is stored once, every job is
// delivered, repeated only for attempts in flight at a kill, and each
// instance's events reach the sink in the order they were acknowledged.
TEST(Replicas, ReplicasKilledInTurnLoseNothingRepeatOnlyWhatWasInFlightAndKeepOrder) {
  const std::string url = fresh_postgres_database();
  FakeHttpServer sink;
  // 1,000 events here; ASC_WEBHOOKD_EVENTS_PER_INSTANCE=200 makes it the
  // 10,000 of the release check (minutes: one fsync'd commit per batch).
  constexpr int kReplicas = 3, kInstances = 50;
  // Under AddressSanitizer every process is several times slower: 200.
#ifdef __SANITIZE_ADDRESS__
  constexpr int kDefaultPerInstance = 4;
#else
  constexpr int kDefaultPerInstance = 20;
#endif
  const char* per = std::getenv("ASC_WEBHOOKD_EVENTS_PER_INSTANCE");
  const int kPerInstance = per ? std::atoi(per) : kDefaultPerInstance;
  // The killer thread owns the replicas; the client reads their ports (a
  // killed one's port refuses connections until its successor is up).
  std::vector<std::unique_ptr<Replica>> replicas;
  std::mutex mutex;
  std::vector<std::uint16_t> ports;
  for (int i = 0; i < kReplicas; ++i) {
    replicas.push_back(std::make_unique<Replica>(url, sink.url("/sink")));
    ports.push_back(replicas.back()->port);
  }
  auto port_of = [&](int i) {
    std::lock_guard lock(mutex);
    return ports[static_cast<std::size_t>(i)];
  };
  std::atomic<bool> sending{true};
  std::atomic<int> kills{0};
  std::thread killer([&] {
    for (int victim = 0; sending; victim = (victim + 1) % kReplicas) {
      std::this_thread::sleep_for(700ms);
      if (!sending) break;
      auto& slot = replicas[static_cast<std::size_t>(victim)];
      slot.reset();  // SIGKILL, reaped
      ++kills;
      slot = std::make_unique<Replica>(url, sink.url("/sink"));
      std::lock_guard lock(mutex);
      ports[static_cast<std::size_t>(victim)] = slot->port;
    }
  });
  // Ten senders, each with its own instances in order (an instance's next
  // event only after its last one was acknowledged, as Apple sends).
  constexpr int kSenders = 10;
  std::atomic<int> refused{0};
  std::map<std::string, std::string> answered;  // event id → accepted | duplicate
  std::vector<std::thread> senders;
  for (int t = 0; t < kSenders; ++t)
    senders.emplace_back([&, t] {
      int next = t;
      for (int k = 0; k < kPerInstance; ++k)
        for (int i = t; i < kInstances; i += kSenders) {
          const std::string id = "k" + std::to_string(i) + "-" + std::to_string(k);
          const auto body = upload_event(id, "inst-" + std::to_string(i), "S" + std::to_string(k));
          std::string status;
          for (int tries = 0; tries < 300 && status.empty(); ++tries) {
            auto r = post_signed(port_of(next++ % kReplicas), "ios-app", body, "replica-secret");
            if (r.status == 200) {
              status = json::parse(r.body)["status"].get<std::string>();
            } else {
              ++refused;  // killed under the request, or not listening yet: the next one
              if (tries % kReplicas == kReplicas - 1) std::this_thread::sleep_for(20ms);
            }
          }
          std::lock_guard lock(mutex);
          answered[id] = status;
        }
    });
  for (auto& t : senders) t.join();
  for (const auto& [id, status] : answered) EXPECT_FALSE(status.empty()) << id << " never answered 200";
  sending = false;
  killer.join();
  const auto kEvents = static_cast<std::size_t>(kInstances * kPerInstance);
  EXPECT_EQ(postgres_number(url, "SELECT count(*) FROM events"), static_cast<std::int64_t>(kEvents));
  EXPECT_EQ(postgres_number(url, "SELECT count(DISTINCT event_id) FROM events"), static_cast<std::int64_t>(kEvents));
  EXPECT_EQ(postgres_number(url, "SELECT count(*) FROM jobs"), static_cast<std::int64_t>(kEvents));

  // Every job delivered (restarted replicas take back the jobs of the dead).
  std::map<std::string, int> seen;
  for (int wait = 0; wait < 600; ++wait) {
    seen.clear();
    for (const auto& r : sink.requests()) ++seen[id_of(r.body)];
    if (seen.size() == kEvents) break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(seen.size(), kEvents) << "not every event was delivered";
  std::size_t repeats = 0;
  for (const auto& [id, n] : seen) repeats += static_cast<std::size_t>(n - 1);
  // At most what was in flight: delivery.concurrency (8) attempts per kill.
  EXPECT_LE(repeats, static_cast<std::size_t>(kills * 8)) << "repeats beyond the attempts in flight";
  // Per instance, first arrivals in the order acknowledged.
  std::map<int, int> last_k;
  std::set<std::string> first;
  for (const auto& r : sink.requests()) {
    const auto id = id_of(r.body);
    if (!first.insert(id).second) continue;
    const int i = std::stoi(id.substr(1, id.find('-') - 1));
    const int k = std::stoi(id.substr(id.find('-') + 1));
    EXPECT_EQ(k, last_k.count(i) ? last_k[i] + 1 : 0) << "instance " << i << " out of order at " << id;
    last_k[i] = k;
  }
  std::cout << "kills=" << kills << " refused_or_cut_requests=" << refused << " deliveries=" << sink.count()
            << " repeats=" << repeats << "\n";
  RecordProperty("kills", kills.load());
  RecordProperty("repeats", static_cast<int>(repeats));
}

}  // namespace
}  // namespace asc_webhookd::test
