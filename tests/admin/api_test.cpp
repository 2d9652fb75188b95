// The console's API through the real binary: every endpoint, status and
// filter; the bearer token (401 with WWW-Authenticate, an address that keeps
// failing slowed); admin_listen keeping /api and /ui off the public port;
// and no secret text in any answer.
#include "support/daemon.hpp"
#include "support/fake_http.hpp"
#include "support/pipeline.hpp"
#include "support/raw_client.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include <unistd.h>

namespace asc_webhookd::test {
namespace {

using json = nlohmann::json;

const char* kToken = "console-token-5b1d0c9e";
const char* kSinkSecret = "sink-secret-value-81f2";
const char* kHookSecret = "console-hook-secret";

struct ConsoleRig {
  TempDir dir;
  FakeHttpServer sink;
  std::unique_ptr<Daemon> daemon;
  std::uint16_t port = 0;
  std::vector<std::string> bodies;  // every API answer, to look for secrets in

  explicit ConsoleRig(const std::string& server_extra = "") {
    const std::string cfg = dir.write(
        "config.yaml",
        "server:\n  listen: 127.0.0.1:0\n  admin_token: ${env:ADMIN_TOKEN}\n" + server_extra + "store:\n  path: " +
            dir.file("state.db") + "\ndelivery:\n  max_attempts: 1\nwebhooks:\n  - name: ios-app\n    secret: ${env:HOOK}\n" +
            "connections:\n  http:\n    sink: { url: \"" + sink.url("/sink") + "\", headers: { X-Token: \"${env:SINK_TOKEN}\" } }\n" +
            "rules:\n  - name: forward\n    when: { event: buildUploadStateUpdated }\n    actions:\n      - http: { connection: sink }\n");
    daemon = std::make_unique<Daemon>(std::vector<std::string>{"--config", cfg},
                                      std::map<std::string, std::string>{{"ADMIN_TOKEN", kToken}, {"HOOK", kHookSecret}, {"SINK_TOKEN", kSinkSecret}});
    port = daemon->wait_listening();
  }
  RawResponse call(const std::string& method, const std::string& target, const std::string& token = kToken,
                   std::uint16_t on = 0) {
    RawClient c(on ? on : port);
    std::map<std::string, std::string> h;
    if (!token.empty()) h["Authorization"] = "Bearer " + token;
    c.send(make_request(method, target, "", h));
    auto r = c.read_response();
    if (r) bodies.push_back(r->body);
    return r ? *r : RawResponse{};
  }
  json get(const std::string& target) { return json::parse(call("GET", target).body); }
};

TEST(ConsoleApi, EveryEndpointAnswersWithItsStatusAndNoSecretAppearsAnywhere) {
  ConsoleRig rig;
  ASSERT_NE(rig.port, 0) << rig.daemon->log();
  rig.sink.push({500, {}, "{\"error\":\"down\"}", {}});  // the first delivery fails, and max_attempts is 1: dead
  ASSERT_EQ(post_signed(rig.port, "ios-app", upload_event("c-1", "u-1"), kHookSecret).status, 200);
  ASSERT_TRUE(rig.sink.wait_for(1));
  ASSERT_EQ(post_signed(rig.port, "ios-app", upload_event("c-2", "u-2"), kHookSecret).status, 200);
  ASSERT_EQ(post_signed(rig.port, "ios-app", fixture_event("events/webhookPingCreated.json", "c-ping"), kHookSecret).status, 200);
  ASSERT_TRUE(rig.sink.wait_for(2));

  // The token.
  auto none = rig.call("GET", "/api/v1/events", "");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.header("www-authenticate"), "Bearer realm=\"asc-webhookd\"");
  EXPECT_EQ(json::parse(none.body), (json{{"error", "unauthorized"}}));
  EXPECT_EQ(rig.call("GET", "/api/v1/events", "console-token-5b1d0c9f").status, 401);

  // The list, newest first, its filters and cursor.
  json all = rig.get("/api/v1/events");
  ASSERT_EQ(all["events"].size(), 3u) << all.dump();
  EXPECT_EQ(all["events"][0]["id"], "c-ping");
  EXPECT_EQ(all["events"][2]["id"], "c-1");
  EXPECT_EQ(all["events"][2]["state"], "dead");
  EXPECT_EQ(all["events"][2]["jobs"], (json{{"pending", 0}, {"done", 0}, {"dead", 1}}));
  EXPECT_EQ(all["events"][2]["instance"], (json{{"type", "buildUploads"}, {"id", "u-1"}}));
  EXPECT_EQ(all["events"][2]["source"], "webhook");
  EXPECT_TRUE(all["next"].is_null());
  json dead = rig.get("/api/v1/events?state=dead");
  ASSERT_EQ(dead["events"].size(), 1u);
  EXPECT_EQ(dead["events"][0]["id"], "c-1");
  EXPECT_EQ(rig.get("/api/v1/events?type=webhookPingCreated")["events"].size(), 1u);
  EXPECT_EQ(rig.get("/api/v1/events?webhook=other")["events"].size(), 0u);
  json by_instance = rig.get("/api/v1/events?q=u-2");
  ASSERT_EQ(by_instance["events"].size(), 1u);
  EXPECT_EQ(by_instance["events"][0]["id"], "c-2");
  json first = rig.get("/api/v1/events?limit=2");
  ASSERT_EQ(first["events"].size(), 2u);
  ASSERT_TRUE(first["next"].is_string());
  json rest = rig.get("/api/v1/events?limit=2&before=" + first["next"].get<std::string>());
  ASSERT_EQ(rest["events"].size(), 1u);
  EXPECT_EQ(rest["events"][0]["id"], "c-1");
  EXPECT_TRUE(rest["next"].is_null());
  for (const auto& [target, names] : std::vector<std::pair<std::string, std::string>>{
           {"/api/v1/events?limit=0", "limit"}, {"/api/v1/events?limit=501", "limit"}, {"/api/v1/events?state=lost", "state"},
           {"/api/v1/events?before=x", "before"}, {"/api/v1/events?colour=red", "colour"}}) {
    auto r = rig.call("GET", target);
    EXPECT_EQ(r.status, 400) << target;
    EXPECT_NE(r.body.find(names), std::string::npos) << target << " " << r.body;
  }

  // The detail: payload, jobs, every attempt with the request as sent (masked).
  json detail = rig.get("/api/v1/events/c-1");
  EXPECT_EQ(detail["raw"]["data"]["id"], "c-1");
  ASSERT_EQ(detail["jobs"].size(), 1u);
  const json job = detail["jobs"][0];
  EXPECT_EQ(job["state"], "dead");
  EXPECT_EQ(job["kind"], "http");
  EXPECT_EQ(job["target"], "connection sink");
  ASSERT_EQ(job["attempts_log"].size(), 1u);
  EXPECT_EQ(job["attempts_log"][0]["http_status"], 500);
  // The request as a JSON object: method, URL (a connection's URL may hold
  // secrets by reference: its path is masked too), headers as pairs, the
  // body as sent; the answer with every exchange.
  const json request = job["attempts_log"][0]["request"];
  EXPECT_EQ(request["method"], "POST");
  EXPECT_EQ(request["url"].get<std::string>().rfind(rig.sink.url("/"), 0), 0u) << request;
  EXPECT_EQ(json::parse(request["body"].get<std::string>())["data"]["id"], "c-1") << request;
  EXPECT_NE(std::find(request["headers"].begin(), request["headers"].end(), json::array({"X-Token", "<redacted>"})),
            request["headers"].end()) << request;
  EXPECT_FALSE(request.contains("answer"));
  const json exchanges = job["attempts_log"][0]["exchanges"];
  ASSERT_EQ(exchanges.size(), 1u);
  EXPECT_EQ(exchanges[0]["answer"], (json{{"status", 500}, {"body", "{\"error\":\"down\"}"}})) << exchanges;
  EXPECT_EQ(rig.get("/api/v1/events/%23" + std::to_string(detail["seq"].get<int>()))["id"], "c-1");
  EXPECT_EQ(rig.call("GET", "/api/v1/events/nope").status, 404);

  // Retry a dead job: delivered now (the sink answers 200 again).
  const std::string job_path = "/api/v1/jobs/" + std::to_string(job["id"].get<int>()) + "/retry";
  EXPECT_EQ(rig.call("GET", job_path).status, 405);
  auto retried = rig.call("POST", job_path);
  EXPECT_EQ(retried.status, 200) << retried.body;
  EXPECT_EQ(json::parse(retried.body), (json{{"requeued", 1}}));
  ASSERT_TRUE(rig.sink.wait_for(3));
  ASSERT_TRUE(rig.daemon->wait_log("event=c-1 rule=forward action=http"));
  json after;
  for (int i = 0; i < 100; ++i) {
    after = rig.get("/api/v1/events/c-1");
    if (after["jobs"][0]["state"] == "done") break;
    ::usleep(50'000);
  }
  EXPECT_EQ(after["jobs"][0]["state"], "done");
  auto again = rig.call("POST", job_path);
  EXPECT_EQ(again.status, 409);
  EXPECT_NE(again.body.find("is done"), std::string::npos) << again.body;
  EXPECT_EQ(rig.call("POST", "/api/v1/jobs/999/retry").status, 404);
  EXPECT_EQ(rig.call("POST", "/api/v1/jobs/abc/retry").status, 400);
  EXPECT_EQ(json::parse(rig.call("POST", "/api/v1/events/c-2/retry").body), (json{{"requeued", 0}}));

  // Replay: planned again with the rules in force, delivered again.
  auto replayed = rig.call("POST", "/api/v1/events/c-2/replay");
  EXPECT_EQ(replayed.status, 200) << replayed.body;
  EXPECT_EQ(json::parse(replayed.body)["jobs"].size(), 1u);
  ASSERT_TRUE(rig.sink.wait_for(4));
  EXPECT_EQ(json::parse(rig.call("POST", "/api/v1/events/c-ping/replay").body), (json{{"jobs", json::array()}}));
  EXPECT_TRUE(rig.daemon->wait_log("admin replay event=c-2"));
  EXPECT_NE(rig.daemon->log().find("admin retry job=" + std::to_string(job["id"].get<int>()) + " remote=127.0.0.1"),
            std::string::npos);

  json stats = rig.get("/api/v1/stats");
  EXPECT_EQ(stats["events"]["total"], 3);
  EXPECT_EQ(stats["events"]["by_webhook"]["ios-app"], 3);
  EXPECT_EQ(stats["jobs"]["by_kind"]["http"]["done"], 3);
  EXPECT_TRUE(stats["last_event_at"].is_string());
  EXPECT_EQ(rig.call("GET", "/api/v1/nothing").status, 404);
  EXPECT_EQ(rig.call("POST", "/api/v1/stats").status, 405);

  for (const auto& b : rig.bodies) {
    EXPECT_EQ(b.find(kSinkSecret), std::string::npos) << b;
    EXPECT_EQ(b.find(kHookSecret), std::string::npos) << b;
    EXPECT_EQ(b.find(kToken), std::string::npos) << b;
  }
}

TEST(ConsoleApi, TheTokenIsNeededAndAnAddressThatKeepsFailingIsSlowed) {
  ConsoleRig rig;
  ASSERT_NE(rig.port, 0) << rig.daemon->log();
  for (int i = 0; i < 4; ++i) EXPECT_EQ(rig.call("GET", "/api/v1/stats", "wrong-token").status, 401);
  EXPECT_TRUE(rig.daemon->wait_log("failures=3 delayed_ms=0"));
  EXPECT_TRUE(rig.daemon->wait_log("failures=4 delayed_ms=250")) << rig.daemon->log();
  // The right token still works (after the wait), and clears the record.
  EXPECT_EQ(rig.call("GET", "/api/v1/stats").status, 200);
  EXPECT_EQ(rig.call("GET", "/api/v1/stats", "wrong-token").status, 401);
  EXPECT_TRUE(rig.daemon->wait_log("failures=1 delayed_ms=0"));
  EXPECT_EQ(rig.call("GET", "/api/v1/events", "Basic x").status, 401);
}

TEST(ConsoleApi, AdminListenServesTheConsoleThereAndNeverOnThePublicPort) {
  const std::uint16_t admin_port = free_loopback_port();
  ConsoleRig rig("  admin_listen: 127.0.0.1:" + std::to_string(admin_port) + "\n");
  ASSERT_NE(rig.port, 0) << rig.daemon->log();
  ASSERT_TRUE(rig.daemon->wait_log("listening address=127.0.0.1:" + std::to_string(admin_port)));
  EXPECT_EQ(rig.call("GET", "/api/v1/events").status, 404);
  EXPECT_EQ(rig.call("GET", "/ui").status, 404);
  EXPECT_EQ(rig.call("GET", "/api/v1/events", kToken, admin_port).status, 200);
  auto page = rig.call("GET", "/ui", "", admin_port);
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.header("content-security-policy").rfind("default-src 'self'", 0), 0u);
  EXPECT_EQ(page.header("x-frame-options"), "DENY");
  EXPECT_EQ(page.header("referrer-policy"), "no-referrer");
  // The admin port serves nothing else.
  EXPECT_EQ(rig.call("GET", "/metrics", "", admin_port).status, 404);
  EXPECT_EQ(post_signed(admin_port, "ios-app", upload_event("a-1", "u-1"), kHookSecret).status, 404);
  EXPECT_EQ(post_signed(rig.port, "ios-app", upload_event("a-1", "u-1"), kHookSecret).status, 200);
}

TEST(ConsoleApi, WithoutAnAdminTokenThereIsNoConsole) {
  TempDir dir;
  const std::string cfg = dir.write("config.yaml", "server:\n  listen: 127.0.0.1:0\nstore:\n  path: " + dir.file("s.db") +
                                                       "\nwebhooks: [{name: a, secret: \"${env:S}\"}]\nrules: []\n");
  Daemon d({"--config", cfg}, {{"S", "secret-secret"}});
  const auto port = d.wait_listening();
  ASSERT_NE(port, 0) << d.log();
  for (const char* path : {"/ui", "/ui/console.js", "/api/v1/events"}) {
    RawClient c(port);
    c.send(make_request("GET", path, "", {{"Authorization", "Bearer anything"}}));
    EXPECT_EQ(c.read_response()->status, 404) << path;
  }
}

}  // namespace
}  // namespace asc_webhookd::test
