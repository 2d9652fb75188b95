#pragma once
// Replicas of the real binary on one PostgreSQL store, for the replica
// tests: each with its own config file (the same content for all), and the
// checks those tests share on what reached the sink.
#include "asc_webhookd/ingest/signature.hpp"

#include "support/daemon.hpp"
#include "support/fake_http.hpp"
#include "support/pipeline.hpp"
#include "support/raw_client.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

namespace asc_webhookd::test {

inline const std::map<std::string, std::string> kReplicaEnv{{"HOOK_SECRET", "replica-secret"}, {"STORE_URL", ""}};

// One replica: its own config file (the same content for every replica).
struct Replica {
  TempDir dir;
  std::string config_path;
  std::unique_ptr<Daemon> daemon;
  std::uint16_t port = 0;

  // Forwards every event to the sink.
  Replica(const std::string& url, const std::string& sink, std::uint16_t listen_port = 0)
      : Replica(url, "", "rules:\n  - name: forward\n    actions:\n      - http: { url: \"" + sink + "\" }\n", "", listen_port) {}
  // `sections`: top-level config sections (app_store_connect, reconcile);
  // `webhook`: lines under the webhook (apple:); then the rules.
  Replica(const std::string& url, const std::string& sections, const std::string& rules,
          const std::string& webhook = "", std::uint16_t listen_port = 0) {
    config_path = dir.write(
        "config.yaml",
        "server:\n  listen: 127.0.0.1:" + std::to_string(listen_port) + "\nstore:\n  url: \"${env:STORE_URL}\"\ndelivery:\n  initial_backoff: 100ms\n"
        "  max_backoff: 200ms\n" + sections + "webhooks:\n  - name: ios-app\n    secret: ${env:HOOK_SECRET}\n" + webhook + rules);
    auto env = kReplicaEnv;
    env["STORE_URL"] = url;
    daemon = std::make_unique<Daemon>(std::vector<std::string>{"--config", config_path}, env);
    port = daemon->wait_listening();
  }
  RawResponse post(const std::string& body) const { return post_signed(port, "ios-app", body, "replica-secret"); }
  // 30 s: /readyz of a replica cut off from its database waits for its
  // store (up to 10 s for a statement's answer, then 5 s to connect).
  RawResponse get(const std::string& path) const {
    RawClient c(port);
    c.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
    auto r = c.read_response(std::chrono::seconds(30));
    return r ? *r : RawResponse{};
  }
};

inline std::string id_of(const std::string& body) { return nlohmann::json::parse(body)["data"]["id"].get<std::string>(); }

// A post that waits as long as a replica may take to give up on its
// database (10 s without an answer, then its 503).
inline RawResponse post_patiently(std::uint16_t port, const std::string& body) {
  RawClient c(port);
  c.send(make_request("POST", "/webhooks/ios-app", body, {{"x-apple-signature", ingest::sign("replica-secret", body)}}));
  return c.read_response(std::chrono::seconds(30)).value_or(RawResponse{});
}

// Waits until the sink has seen `events` distinct events (60 s at most);
// how many times it saw each.
inline std::map<std::string, int> wait_delivered(const FakeHttpServer& sink, std::size_t events) {
  std::map<std::string, int> seen;
  for (int wait = 0; wait < 600; ++wait) {
    seen.clear();
    for (const auto& r : sink.requests()) ++seen[id_of(r.body)];
    if (seen.size() >= events) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return seen;
}

// Deliveries beyond the first of each event.
inline std::size_t repeats_in(const std::map<std::string, int>& seen) {
  std::size_t repeats = 0;
  for (const auto& [id, n] : seen) repeats += static_cast<std::size_t>(n - 1);
  return repeats;
}

// Events named "<letter><instance>-<k>": each instance's first deliveries
// reach the sink in the order k = 0, 1, 2, ... (repeats aside).
inline void expect_each_instance_in_order(const FakeHttpServer& sink) {
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
}

}  // namespace asc_webhookd::test
