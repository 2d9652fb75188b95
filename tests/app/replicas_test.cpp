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

#include <map>
#include <set>

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

}  // namespace
}  // namespace asc_webhookd::test
