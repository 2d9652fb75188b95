// Apple's side is watched, through the real binary: each reconcile pass
// reads Apple's webhook from a fake App Store Connect whose switches the
// test flips (enabled, url, event types, deleted) and whose deliveries
// really go to the daemon. A change of verdict -- and only a change -- is
// one webhookHealthChanged event (source "monitor") and one Slack message
// naming the problem and the fix; the gauge follows; a listing Apple fails
// to answer is a failed pass, never an unhealthy verdict.
#include "asc_webhookd/apple/resources.hpp"
#include "asc_webhookd/store/sqlite_store.hpp"

#include "support/daemon.hpp"
#include "support/fake_apple_webhooks.hpp"
#include "support/fake_asc.hpp"
#include "support/fake_slack.hpp"
#include "support/keys.hpp"
#include "support/pipeline.hpp"
#include "support/raw_client.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <thread>

namespace asc_webhookd::test {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

const char* kSecret = "health-loop-secret-2b9d";
const char* kApp = "1234567890";
const char* kAdminToken = "health-console-token-6c1a";

struct HealthWorld {
  TempDir dir;
  KeyPair key = make_p256_key();
  FakeAsc asc{key.public_pem, kAscKeyId, kAscIssuer};
  FakeAppleWebhooks apple{asc};
  FakeSlack slack;
  std::uint16_t port = free_loopback_port();
  std::string key_file = dir.write("AuthKey.p8", key.private_pem);
  std::string config_path;
  std::string hook;  // Apple's webhook id
  std::unique_ptr<Daemon> daemon;
  std::map<std::string, std::string> env{{"HOOK_SECRET", kSecret}, {"ADMIN_TOKEN", kAdminToken}};

  // Apple's webhook, made with `secret` (a wrong one makes every delivery 401).
  explicit HealthWorld(const std::string& secret = kSecret) {
    apple.add_app(kApp);
    hook = apple.add_hook(kApp, url(), secret);
    config_path = dir.write(
        "config.yaml",
        "server:\n  listen: 127.0.0.1:" + std::to_string(port) + "\n  admin_token: ${env:ADMIN_TOKEN}\nstore:\n  path: " +
            dir.file("state.db") + "\nreconcile:\n  interval: 1s\n  window: 3d\napp_store_connect:\n  issuer_id: " +
            kAscIssuer + "\n  key_id: " + kAscKeyId + "\n  private_key: \"${file:" + key_file + "}\"\n  base_url: " +
            asc.base_url() + "\nwebhooks:\n  - name: ios-app\n    secret: ${env:HOOK_SECRET}\n    apple:\n      app_id: \"" +
            kApp + "\"\n      webhook_id: " + hook + "\n      url: " + url() +
            "\nconnections:\n  slack:\n    alerts:\n      webhook_url: " + slack.webhook_url() +
            "\nrules:\n  - name: apple-alert\n    when: { event: webhookHealthChanged }\n    actions:\n"
            "      - slack: { connection: alerts }\n"
            "  - name: uploads\n    when: { event: buildUploadStateUpdated }\n    actions:\n"
            "      - slack: { connection: alerts, text: \"UPLOAD {{event.id}}\" }\n");
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port) + "/webhooks/ios-app"; }
  void start() {
    daemon = std::make_unique<Daemon>(std::vector<std::string>{"--config", config_path}, env);
    ASSERT_EQ(daemon->wait_listening(), port) << daemon->log();
  }
  CommandResult cli(std::vector<std::string> args) const {
    args.push_back("--config");
    args.push_back(config_path);
    return run_binary(args, env);
  }
  // `more` further reads of Apple's webhook: passes that judged it.
  void wait_passes(std::size_t more) {
    const std::size_t until = apple.webhook_reads() + more;
    for (int i = 0; i < 600 && apple.webhook_reads() < until; ++i) std::this_thread::sleep_for(20ms);
    ASSERT_GE(apple.webhook_reads(), until) << daemon->log();
  }
  // The gauge's value ("" while it is not exported yet).
  std::string gauge() const {
    const std::string m = metrics_of(port);
    const std::string name = "asc_webhookd_apple_webhook_healthy{webhook=\"ios-app\"} ";
    auto at = m.find(name);
    return at == std::string::npos ? "" : m.substr(at + name.size(), 1);
  }
  bool wait_gauge(const std::string& value) const {
    for (int i = 0; i < 600; ++i) {
      if (gauge() == value) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }
  // The webhookHealthChanged events' attributes, oldest first, with their source.
  std::vector<json> health_events() const {
    auto st = store::SqliteStore::open({dir.file("state.db"), ""});
    if (!st) return {};
    store::EventQuery q;
    q.type = "webhookHealthChanged";
    q.limit = 50;
    auto rows = (*st)->list_events(q);
    std::vector<json> out;
    if (!rows) return out;
    for (auto it = rows->rbegin(); it != rows->rend(); ++it) {
      auto full = (*st)->event(it->seq);
      if (!full || !*full) continue;
      json attrs = json::parse((*full)->raw)["data"]["attributes"];
      attrs["source"] = (*full)->source;
      out.push_back(attrs);
    }
    return out;
  }
  std::vector<json> wait_health_events(std::size_t n) const {
    for (int i = 0; i < 600 && health_events().size() < n; ++i) std::this_thread::sleep_for(20ms);
    return health_events();
  }
  std::vector<std::string> slack_posts(std::size_t n) const {
    for (int i = 0; i < 600 && slack.webhook_posts().size() < n; ++i) std::this_thread::sleep_for(20ms);
    std::vector<std::string> out;
    for (const auto& p : slack.webhook_posts()) out.push_back(p.dump());
    return out;
  }
};

std::string first_problem(const json& attrs) {
  return attrs["problems"].empty() ? "" : attrs["problems"][0].get<std::string>();
}

RawResponse console(std::uint16_t port, const std::string& target) {
  RawClient c(port);
  c.send(make_request("GET", target, "", {{"Authorization", std::string("Bearer ") + kAdminToken}}));
  auto r = c.read_response();
  return r ? *r : RawResponse{};
}

TEST(AppleWebhookHealth, DisablingIsOneEventAndOneSlackMessageAndReEnablingOneHealthyAgain) {
  HealthWorld w;
  w.start();
  ASSERT_TRUE(w.wait_gauge("1")) << w.daemon->log();
  w.wait_passes(2);
  EXPECT_TRUE(w.health_events().empty()) << "a healthy first verdict is no change";

  w.apple.set_enabled(w.hook, false);
  auto events = w.wait_health_events(1);
  ASSERT_EQ(events.size(), 1u) << w.daemon->log();
  EXPECT_EQ(events[0]["healthy"], false);
  EXPECT_EQ(events[0]["source"], "monitor");
  EXPECT_EQ(first_problem(events[0]).rfind("disabled", 0), 0u) << events[0].dump();
  EXPECT_EQ(events[0]["previous"], json::array());
  ASSERT_TRUE(w.wait_gauge("0")) << w.daemon->log();
  auto posts = w.slack_posts(1);
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_NE(posts[0].find("disabled"), std::string::npos) << posts[0];
  EXPECT_NE(posts[0].find("asc-webhookd apple setup --config " + w.config_path + " --webhook ios-app --url " + w.url()),
            std::string::npos) << posts[0];

  // Seen by the operator while it lasts: `apple webhooks`, the console's stats.
  auto listed = w.cli({"apple", "webhooks"});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("health of ios-app: UNHEALTHY\n  - disabled"), std::string::npos) << listed.out;
  auto stats = console(w.port, "/api/v1/stats");
  ASSERT_EQ(stats.status, 200);
  auto apple_webhooks = json::parse(stats.body)["apple_webhooks"];
  ASSERT_EQ(apple_webhooks.size(), 1u) << stats.body;
  EXPECT_EQ(apple_webhooks[0]["webhook"], "ios-app");
  EXPECT_EQ(apple_webhooks[0]["healthy"], false);
  EXPECT_EQ(apple_webhooks[0]["problems"][0].get<std::string>().rfind("disabled", 0), 0u);

  // Passes that find the same verdict say nothing more.
  w.wait_passes(3);
  EXPECT_EQ(w.health_events().size(), 1u);
  EXPECT_EQ(w.slack.webhook_posts().size(), 1u);

  w.apple.set_enabled(w.hook, true);
  events = w.wait_health_events(2);
  ASSERT_EQ(events.size(), 2u) << w.daemon->log();
  EXPECT_EQ(events[1]["healthy"], true);
  EXPECT_EQ(events[1]["problems"], json::array());
  EXPECT_EQ(events[1]["previous"][0].get<std::string>().rfind("disabled", 0), 0u) << events[1].dump();
  ASSERT_TRUE(w.wait_gauge("1")) << w.daemon->log();
  posts = w.slack_posts(2);
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_NE(posts[1].find("healthy again"), std::string::npos) << posts[1];
  EXPECT_NE(posts[1].find("Was: disabled"), std::string::npos) << posts[1];
  w.wait_passes(3);
  EXPECT_EQ(w.health_events().size(), 2u);
  listed = w.cli({"apple", "webhooks"});
  EXPECT_NE(listed.out.find("health of ios-app: healthy\n"), std::string::npos) << listed.out;
}

TEST(AppleWebhookHealth, AUrlChangeAndARemovedEventTypeAreEachReported) {
  HealthWorld w;
  w.start();
  ASSERT_TRUE(w.wait_gauge("1")) << w.daemon->log();

  w.apple.set_url(w.hook, "https://old-host.example.com/asc");
  auto events = w.wait_health_events(1);
  ASSERT_EQ(events.size(), 1u) << w.daemon->log();
  EXPECT_EQ(first_problem(events[0]).rfind("url differs: https://old-host.example.com/asc", 0), 0u) << events[0].dump();
  w.apple.set_url(w.hook, w.url());
  ASSERT_EQ(w.wait_health_events(2).size(), 2u) << w.daemon->log();

  // The rules route build uploads: a webhook without them misses events.
  auto types = apple::subscription_types();
  types.erase(std::find(types.begin(), types.end(), "BUILD_UPLOAD_STATE_UPDATED"));
  w.apple.set_event_types(w.hook, types);
  events = w.wait_health_events(3);
  ASSERT_EQ(events.size(), 3u) << w.daemon->log();
  EXPECT_EQ(first_problem(events[2]).rfind("missing event types: BUILD_UPLOAD_STATE_UPDATED ", 0), 0u) << events[2].dump();
  EXPECT_NE(first_problem(events[2]).find("apple setup"), std::string::npos);
  EXPECT_EQ(w.slack_posts(3).size(), 3u);
}

TEST(AppleWebhookHealth, AWebhookUnhealthyAtStartIsReportedThenItsDeletionAsDeleted) {
  HealthWorld w;
  w.apple.set_enabled(w.hook, false);
  w.start();
  auto events = w.wait_health_events(1);
  ASSERT_EQ(events.size(), 1u) << "an unhealthy first verdict is a change" << w.daemon->log();
  EXPECT_EQ(first_problem(events[0]).rfind("disabled", 0), 0u);

  w.apple.delete_hook(w.hook);
  events = w.wait_health_events(2);
  ASSERT_EQ(events.size(), 2u) << w.daemon->log();
  EXPECT_EQ(events[1]["problems"].size(), 1u);
  EXPECT_EQ(first_problem(events[1]).rfind("deleted: App Store Connect has no webhook " + w.hook, 0), 0u) << events[1].dump();
  EXPECT_EQ(events[1]["previous"][0].get<std::string>().rfind("disabled", 0), 0u);
  EXPECT_EQ(w.gauge(), "0");
  auto posts = w.slack_posts(2);
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_NE(posts[1].find("deleted"), std::string::npos) << posts[1];
}

TEST(AppleWebhookHealth, ListingFailuresAreFailedPassesNotAnUnhealthyVerdict) {
  HealthWorld w;
  w.start();
  ASSERT_TRUE(w.wait_gauge("1")) << w.daemon->log();
  w.apple.fail_next_listing(FakeAsc::error(429, "RATE_LIMIT_EXCEEDED", "The request rate limit has been reached.",
                                           "We've received too many requests for this API. Please wait and try again or slow down your request rate."));
  w.apple.fail_next_webhook_read(FakeAsc::error(500, "UNEXPECTED_ERROR", "An unexpected error occurred.",
                                                "An unexpected error occurred on the server side."));
  // One 404 is not proof: Apple still lists the webhook for the app.
  w.apple.fail_next_webhook_read(FakeAsc::error(404, "NOT_FOUND", "The specified resource does not exist",
                                                "There is no resource of type 'webhooks' with id '" + w.hook + "'"));
  ASSERT_TRUE(w.daemon->wait_log("not judged: the delivery listing failed")) << w.daemon->log();
  ASSERT_TRUE(w.daemon->wait_log("UNEXPECTED_ERROR")) << w.daemon->log();
  ASSERT_TRUE(w.daemon->wait_log("but lists it for app")) << w.daemon->log();
  w.wait_passes(2);
  EXPECT_TRUE(w.health_events().empty()) << w.daemon->log();
  EXPECT_EQ(w.gauge(), "1");
  EXPECT_TRUE(w.slack.webhook_posts().empty());
}

TEST(AppleWebhookHealth, DeliveriesAppleCannotMakeAreReportedWithApplesError) {
  HealthWorld w("a-secret-apple-was-never-given");
  w.start();
  ASSERT_TRUE(w.wait_gauge("1")) << w.daemon->log();
  for (int i = 1; i <= 3; ++i) w.apple.deliver(w.hook, upload_event("fail-" + std::to_string(i), "u-" + std::to_string(i)));
  auto events = w.wait_health_events(1);
  ASSERT_EQ(events.size(), 1u) << w.daemon->log();
  const std::string problem = first_problem(events[0]);
  EXPECT_EQ(problem.rfind("deliveries failing: 3 of 3 since ", 0), 0u) << problem;
  EXPECT_NE(problem.find("HTTP 401"), std::string::npos) << problem;
  EXPECT_NE(problem.find("apple setup"), std::string::npos) << problem;
  EXPECT_EQ(w.gauge(), "0");
  // Apple's log has the events: reconcile stored them all the same.
  auto st = store::SqliteStore::open({w.dir.file("state.db"), ""});
  ASSERT_TRUE(st);
  auto found = wait_event(**st, "fail-3", [](const store::EventView& e) { return e.source == "reconcile"; });
  EXPECT_TRUE(found) << w.daemon->log();
}

}  // namespace
}  // namespace asc_webhookd::test
