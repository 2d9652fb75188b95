// The verdict on Apple's webhook, judged from what Apple has: each problem
// (deleted, disabled, url differs, missing event types, deliveries failing)
// named with its fix; what a change is judged on; which subscriptions the
// rules need; the webhookHealthChanged event's template data.
#include "asc_webhookd/apple/webhook_health.hpp"
#include "asc_webhookd/apple/resources.hpp"
#include "asc_webhookd/config/loader.hpp"
#include "asc_webhookd/event/event.hpp"
#include "asc_webhookd/integrations/common/notice.hpp"
#include "asc_webhookd/rules/engine.hpp"
#include "asc_webhookd/rules/template.hpp"

#include <gtest/gtest.h>

namespace asc_webhookd::apple {
namespace {

constexpr std::int64_t kNow = 1'800'000'000'000;
constexpr std::int64_t kWindowStart = kNow - 3LL * 24 * 3600 * 1000;
const char* kUrl = "https://hooks.acme.com/webhooks/ios-app";

std::shared_ptr<const config::Config> load(const std::string& rules, const std::string& url = kUrl) {
  auto loaded = config::load_config_string(
      "webhooks:\n  - name: ios-app\n    secret: s3cret\n    apple:\n      app_id: \"123\"\n      webhook_id: wh-1\n" +
          (url.empty() ? std::string() : "      url: " + url + "\n") + "rules:\n" + rules,
      "/etc/asc-webhookd/config.yaml");
  EXPECT_TRUE(loaded.ok()) << loaded.errors_text();
  return loaded.config;
}

const std::string kUploadRule =
    "  - name: uploads\n    when: { event: buildUploadStateUpdated }\n    actions:\n      - http: { url: \"http://127.0.0.1:9/\" }\n";

Webhook good_hook() { return Webhook{"wh-1", "asc-webhookd ios-app", kUrl, true, subscription_types()}; }

Delivery delivery(const std::string& state, std::int64_t age_ms, const std::string& error = "") {
  Delivery d;
  d.state = state;
  d.created_ms = kNow - age_ms;
  d.error = error;
  return d;
}

HealthVerdict judge(const config::Config& cfg, const AppleSide& side, const std::vector<Delivery>& deliveries = {}) {
  return judge_webhook(cfg, cfg.webhooks[0], side, deliveries, kWindowStart);
}

TEST(HealthVerdict, AWebhookAsSetUpIsHealthy) {
  auto cfg = load(kUploadRule);
  auto v = judge(*cfg, {good_hook(), {}}, {delivery("SUCCEEDED", 1000), delivery("FAILED", 2000)});
  EXPECT_TRUE(v.healthy());
  EXPECT_TRUE(v.problems.empty());
}

TEST(HealthVerdict, EachProblemNamesTheFixWithTheConfigTheWebhookAndTheUrl) {
  auto cfg = load(kUploadRule);
  Webhook w = good_hook();
  w.enabled = false;
  w.url = "https://old.acme.com/asc";
  w.event_types = {"APP_STORE_VERSION_APP_VERSION_STATE_UPDATED"};
  auto v = judge(*cfg, {w, {}});
  ASSERT_EQ(v.problems.size(), 3u);
  EXPECT_EQ(v.problems[0].rfind("disabled", 0), 0u) << v.problems[0];
  EXPECT_EQ(v.problems[1].rfind("url differs: https://old.acme.com/asc", 0), 0u) << v.problems[1];
  EXPECT_EQ(v.problems[2].rfind("missing event types: BUILD_UPLOAD_STATE_UPDATED (", 0), 0u) << v.problems[2];
  const std::string fix = "asc-webhookd apple setup --config /etc/asc-webhookd/config.yaml --webhook ios-app --url " +
                          std::string(kUrl);
  for (const auto& p : v.problems) EXPECT_NE(p.find(" — fix: " + fix), std::string::npos) << p;
  EXPECT_EQ(v.keys, (std::vector<std::string>{"disabled", "url differs: https://old.acme.com/asc",
                                              "missing event types: BUILD_UPLOAD_STATE_UPDATED"}));
}

TEST(HealthVerdict, WithoutApplesUrlConfiguredTheUrlIsNotJudgedAndTheFixUsesApplesOwn) {
  auto cfg = load(kUploadRule, "");
  Webhook w = good_hook();
  w.url = "https://elsewhere.acme.com/asc";
  w.enabled = false;
  auto v = judge(*cfg, {w, {}});
  ASSERT_EQ(v.problems.size(), 1u);
  EXPECT_NE(v.problems[0].find("--url https://elsewhere.acme.com/asc"), std::string::npos) << v.problems[0];
}

TEST(HealthVerdict, ADeletedWebhookSaysSoAndPointsAtTheAppsWebhookWithTheSameUrl) {
  auto cfg = load(kUploadRule);
  Webhook again = good_hook();
  again.id = "wh-2";
  auto v = judge(*cfg, {std::nullopt, {again}});
  ASSERT_EQ(v.problems.size(), 1u);
  EXPECT_EQ(v.problems[0].rfind("deleted: App Store Connect has no webhook wh-1 for app 123", 0), 0u) << v.problems[0];
  EXPECT_NE(v.problems[0].find("apple setup"), std::string::npos);
  EXPECT_NE(v.problems[0].find("put wh-2 in apple.webhook_id"), std::string::npos) << v.problems[0];
  EXPECT_EQ(v.keys, std::vector<std::string>{"deleted"});
}

TEST(HealthVerdict, DeliveriesFailOnlyWhenTheNewestThreeInTheWindowAllFailed) {
  auto cfg = load(kUploadRule);
  const AppleSide side{good_hook(), {}};
  // Three failures, but the newest delivery succeeded: Apple reaches us now.
  EXPECT_TRUE(judge(*cfg, side, {delivery("FAILED", 4000), delivery("FAILED", 3000), delivery("FAILED", 2000),
                                 delivery("SUCCEEDED", 1000)}).healthy());
  // Two failures are a blip; a PENDING one is not sent yet; one outside the
  // window is not looked at.
  EXPECT_TRUE(judge(*cfg, side, {delivery("FAILED", 5LL * 24 * 3600 * 1000), delivery("FAILED", 2000),
                                 delivery("PENDING", 1500), delivery("FAILED", 1000)}).healthy());
  Delivery last = delivery("FAILED", 1000, "The webhook URL answered 401");
  last.http_status = 401;
  auto v = judge(*cfg, side, {delivery("SUCCEEDED", 9000), delivery("FAILED", 3000), delivery("FAILED", 2000), last});
  ASSERT_EQ(v.problems.size(), 1u);
  EXPECT_EQ(v.problems[0].rfind("deliveries failing: 3 of 4 since " + apple_time(kWindowStart), 0), 0u) << v.problems[0];
  EXPECT_NE(v.problems[0].find("Apple's last error: The webhook URL answered 401, HTTP 401"), std::string::npos) << v.problems[0];
  EXPECT_NE(v.problems[0].find("apple setup"), std::string::npos);
  // The count is not part of what a change is judged on.
  EXPECT_EQ(v.keys, std::vector<std::string>{"deliveries failing"});
}

TEST(HealthVerdict, TheRulesSayWhichSubscriptionsAreNeeded) {
  auto catch_all = load("  - name: all\n    actions:\n      - http: { url: \"http://127.0.0.1:9/\" }\n");
  EXPECT_EQ(rules::needed_subscriptions(*catch_all, "ios-app"), subscription_types());
  auto reviews_only = load("  - name: low\n    when: { rating: \"<=2\" }\n    actions:\n      - http: { url: \"http://127.0.0.1:9/\" }\n");
  EXPECT_TRUE(rules::needed_subscriptions(*reviews_only, "ios-app").empty());
  auto own_events = load("  - name: own\n    when: { event: [customerReviewCreated, webhookHealthChanged] }\n    actions:\n      - http: { url: \"http://127.0.0.1:9/\" }\n");
  EXPECT_TRUE(rules::needed_subscriptions(*own_events, "ios-app").empty());
  EXPECT_EQ(rules::needed_subscriptions(*load(kUploadRule), "macos-app"), std::vector<std::string>{"BUILD_UPLOAD_STATE_UPDATED"});
  auto uploads = load(kUploadRule);
  EXPECT_EQ(rules::needed_subscriptions(*uploads, "ios-app"), std::vector<std::string>{"BUILD_UPLOAD_STATE_UPDATED"});
}

TEST(HealthVerdict, CheckConfigSaysWhenAppleUrlIsNotCheckedOrNotThisWebhooksRoute) {
  auto text_of = [](const std::string& apple) {
    auto loaded = config::load_config_string(
        "rules: []\nwebhooks:\n  - name: ios-app\n    secret: s3cret\n    apple:\n      app_id: \"123\"\n" + apple, "c.yaml");
    EXPECT_TRUE(loaded.ok()) << loaded.errors_text();
    return loaded.errors_text();
  };
  EXPECT_NE(text_of("      url: https://hooks.acme.com/webhooks/ios-app\n").find("has apple.url but no apple.webhook_id"),
            std::string::npos);
  EXPECT_NE(text_of("      webhook_id: wh-1\n      url: https://hooks.acme.com/asc\n").find("does not end in /webhooks/ios-app"),
            std::string::npos);
  auto bad = config::load_config_string(
      "rules: []\nwebhooks:\n  - name: ios-app\n    secret: s3cret\n    apple:\n      app_id: \"123\"\n      url: hooks.acme.com\n", "c.yaml");
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.errors_text().find("webhooks[].apple.url is the public URL Apple calls"), std::string::npos) << bad.errors_text();
}

TEST(HealthVerdict, TheEventCarriesTheVerdictToTemplatesAndTheBuiltInMessage) {
  const std::string body =
      R"({"data":{"type":"webhookHealthChanged","id":"webhook-health-ios-app-1","version":1,"attributes":{"timestamp":"2026-12-05T10:00:00.000Z","healthy":true,"problems":[],"previous":["disabled: Apple sends nothing while it is off — fix: asc-webhookd apple setup --webhook ios-app --url https://x"]}}})";
  auto ev = event::decode_event(body);
  ASSERT_TRUE(ev) << ev.error().message;
  ASSERT_TRUE(ev->health);
  EXPECT_TRUE(ev->health->healthy);
  auto context = rules::template_context(*ev, nullptr, "alert");
  auto text = rules::render("{{#health.healthy}}OK{{/health.healthy}} was: {{#health.previous}}{{.}}{{/health.previous}}",
                            context, rules::Escape::none);
  ASSERT_TRUE(text);
  EXPECT_EQ(text->rfind("OK was: disabled:", 0), 0u) << *text;
  auto notice = actions::build_notice(context);
  EXPECT_EQ(notice.title, "Apple's webhook is healthy again");
  ASSERT_EQ(notice.details.size(), 1u);
  EXPECT_EQ(notice.details[0].text.rfind("Was: disabled", 0), 0u);

  EXPECT_FALSE(event::decode_event(R"({"data":{"type":"webhookHealthChanged","id":"x","attributes":{"healthy":"no"}}})"));
  EXPECT_FALSE(event::decode_event(R"({"data":{"type":"webhookHealthChanged","id":"x","attributes":{"healthy":false,"problems":[1]}}})"));
}

}  // namespace
}  // namespace asc_webhookd::apple
