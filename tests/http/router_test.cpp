// The endpoint table: the metrics route label comes from it, never from the
// raw path, so a new endpoint cannot be routed without a label or counted
// under one it does not have.
#include "asc_webhookd/http/router.hpp"

#include <gtest/gtest.h>

namespace asc_webhookd::test {
namespace {

TEST(RouteLabel, IsTheEndpointsPathOrOther) {
  EXPECT_EQ(http::route_label("/webhooks/ios-app"), "/webhooks");
  EXPECT_EQ(http::route_label("/webhooks/ios-app?x=1"), "/webhooks");
  EXPECT_EQ(http::route_label("/webhooks/"), "/webhooks");
  EXPECT_EQ(http::route_label("/healthz"), "/healthz");
  EXPECT_EQ(http::route_label("/readyz?probe=1"), "/readyz");
  EXPECT_EQ(http::route_label("/metrics"), "/metrics");
  EXPECT_EQ(http::route_label("/api/v1/events/abc?x=1"), "/api");  // the console: never an id in a label
  EXPECT_EQ(http::route_label("/ui"), "/ui");
  EXPECT_EQ(http::route_label("/ui/console.js"), "/ui");
  for (const char* other : {"/", "/webhooks", "/healthzz", "/metrics/x", "/api", "/uix", "/\xff", ""})
    EXPECT_EQ(http::route_label(other), "other") << other;
}

}  // namespace
}  // namespace asc_webhookd::test
