// Apple's webhook resources decoded from the shapes Apple publishes
// (Apple's webhookDeliveries), the request bodies Apple requires, how far
// back a reconcile pass asks, and the config's reconcile limits.
#include "asc_webhookd/apple/reconcile.hpp"
#include "asc_webhookd/apple/resources.hpp"
#include "asc_webhookd/config/loader.hpp"

#include <gtest/gtest.h>

namespace asc_webhookd::apple {
namespace {

using nlohmann::json;
constexpr std::int64_t kDay = 24LL * 3600 * 1000;

TEST(AppleResources, ApplesPublishedDeliveryListDecodesWithItsEventJoined) {
  // Apple's example, compacted, with a payload filled in (it is a string).
  const json answer = json::parse(R"({"data":[{"type":"webhookDeliveries","id":"d-1",
    "attributes":{"createdDate":"2026-11-30T10:00:00.000Z","deliveryState":"FAILED","errorMessage":"Connection refused","redelivery":false,
                  "sentDate":"2026-11-30T10:00:01.000Z","request":{"url":"https://example.com"},"response":{"httpStatusCode":502,"body":"bad gateway"}},
    "relationships":{"event":{"data":{"type":"webhookEvents","id":"e-1"}}},"links":{"self":""}}],
   "included":[{"type":"webhookEvents","id":"e-1",
    "attributes":{"eventType":"APP_STORE_VERSION_APP_VERSION_STATE_UPDATED","payload":"{\"data\":{\"type\":\"appStoreVersionAppVersionStateUpdated\",\"id\":\"ev-9\"}}","ping":false,"createdDate":"2026-11-30T10:00:00.000Z"},
    "links":{"self":""}}],
   "links":{"self":"","first":"","next":"https://api.appstoreconnect.apple.com/v1/webhooks/w/deliveries?cursor=abc"},"meta":{"paging":{"total":2,"limit":1}}})");
  auto page = decode_deliveries(answer);
  ASSERT_TRUE(page) << page.error().message;
  ASSERT_EQ(page->deliveries.size(), 1u);
  const Delivery& d = page->deliveries[0];
  EXPECT_EQ(d.id, "d-1");
  EXPECT_EQ(d.state, "FAILED");
  EXPECT_EQ(d.http_status, 502);
  EXPECT_EQ(d.error, "Connection refused");
  EXPECT_EQ(d.event_type, "APP_STORE_VERSION_APP_VERSION_STATE_UPDATED");
  EXPECT_EQ(d.event_id, "ev-9");
  EXPECT_FALSE(d.ping);
  EXPECT_EQ(d.created_ms, 1796032800000);
  EXPECT_EQ(page->next, "https://api.appstoreconnect.apple.com/v1/webhooks/w/deliveries?cursor=abc");
}

TEST(AppleResources, OddShapesAreErrorsNamingWhatIsMissingNeverThrows) {
  EXPECT_FALSE(decode_deliveries(json::parse(R"({"errors":[]})")));
  EXPECT_FALSE(decode_deliveries(json::parse(R"({"data":[{"type":"apps","id":"1"}]})")));
  EXPECT_FALSE(decode_webhooks(json::parse(R"({"data":7})")));
  // Missing attributes and included events leave fields empty, not a throw.
  auto page = decode_deliveries(json::parse(R"({"data":[{"type":"webhookDeliveries","id":"d","attributes":{"response":{"httpStatusCode":"x"}}}],"links":{"next":5}})"));
  ASSERT_TRUE(page);
  EXPECT_FALSE(page->deliveries[0].http_status);
  EXPECT_EQ(page->next, "");
  EXPECT_FALSE(decode_created_id(json::parse(R"({"data":{"type":"webhooks"}})"), "webhookPings"));
}

TEST(AppleResources, BodiesAreShapedAsApplesCreateUpdateAndPingRequests) {
  WebhookSpec spec{"asc-webhookd ios", "https://hooks.example.com/webhooks/ios", "s3cret", subscription_types(), true};
  const json create = webhook_create_body("123", spec);
  EXPECT_EQ(create["data"]["type"], "webhooks");
  EXPECT_EQ(create["data"]["relationships"]["app"]["data"], (json{{"type", "apps"}, {"id", "123"}}));
  for (const char* k : {"name", "secret", "eventTypes", "url", "enabled"}) EXPECT_TRUE(create["data"]["attributes"].contains(k)) << k;
  EXPECT_EQ(create["data"]["attributes"]["eventTypes"].size(), 12u);
  EXPECT_EQ(webhook_update_body("w-1", spec)["data"]["id"], "w-1");
  EXPECT_EQ(ping_body("w-1")["data"]["relationships"]["webhook"]["data"]["id"], "w-1");
  EXPECT_EQ(apple_time(1796032800123), "2026-11-30T10:00:00.123Z");
}

TEST(AppleReconcile, APassAsksFromTheWatermarkOverlappingAtLeastTheWindowNeverPastTenDays) {
  const std::int64_t now = 100 * kDay;
  const Duration window = std::chrono::hours(72);
  EXPECT_EQ(pass_since(now, std::nullopt, window), now - 3 * kDay);  // first pass: the window
  EXPECT_EQ(pass_since(now, now - 60'000, window), now - 3 * kDay);  // recent watermark: still the window
  EXPECT_EQ(pass_since(now, now - 5 * kDay, window), now - 5 * kDay - 15 * 60'000);  // down 5 days: from then, overlapping
  EXPECT_EQ(pass_since(now, now - 30 * kDay, window), now - 10 * kDay + 60'000);  // never beyond Apple's 10 days
}

TEST(AppleReconcile, TheWindowIsBoundedByApplesTenDaysAndTheRetention) {
  const std::string base = "webhooks: [{name: a, secret: s3cret-value}]\nrules: []\n";
  auto too_far = config::load_config_string("reconcile: {window: 11d}\n" + base, "c.yaml");
  ASSERT_FALSE(too_far.ok());
  EXPECT_NE(too_far.errors_text().find("reconcile.window is at most 10d"), std::string::npos) << too_far.errors_text();
  auto past_retention = config::load_config_string("store: {retention: 2d}\nreconcile: {window: 3d}\n" + base, "c.yaml");
  ASSERT_FALSE(past_retention.ok());
  EXPECT_NE(past_retention.errors_text().find("must not be longer than store.retention (2d)"), std::string::npos)
      << past_retention.errors_text();
  auto linked = config::load_config_string(
      "webhooks: [{name: a, secret: s3cret-value, apple: {app_id: \"12\", webhook_id: w-1}}]\nrules: []\n", "c.yaml");
  ASSERT_TRUE(linked.ok()) << linked.errors_text();
  EXPECT_EQ(linked.config->webhooks[0].apple->webhook_id, "w-1");
  EXPECT_NE(linked.errors_text().find("nothing is reconciled"), std::string::npos) << linked.errors_text();
  auto bad_app = config::load_config_string("webhooks: [{name: a, secret: s3cret-value, apple: {app_id: acme}}]\nrules: []\n", "c.yaml");
  EXPECT_NE(bad_app.errors_text().find("app_id is the app's Apple ID, a number"), std::string::npos) << bad_app.errors_text();
}

}  // namespace
}  // namespace asc_webhookd::apple
