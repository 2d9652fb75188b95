// The backoff schedule, on fixed inputs.
#include "asc_webhookd/delivery/backoff.hpp"

#include <gtest/gtest.h>

namespace asc_webhookd::delivery {
namespace {

using namespace std::chrono_literals;
constexpr std::int64_t kNow = 1'750'000'000'000;  // 2025-06-15T15:06:40Z

config::DeliveryConfig delivery_config() {
  config::DeliveryConfig c;
  c.initial_backoff = 5s;
  c.max_backoff = 30min;
  c.max_attempts = 12;
  c.max_age = 48h;
  return c;
}

TEST(Backoff, DoublesFromInitialWithJitterAndCap) {
  auto c = delivery_config();
  // unit 0.5 → no jitter; 0 → -20%; 1 → +20%.
  EXPECT_EQ(backoff_delay(c, 1, 0.5, {}), 5s);
  EXPECT_EQ(backoff_delay(c, 2, 0.5, {}), 10s);
  EXPECT_EQ(backoff_delay(c, 3, 0.5, {}), 20s);
  EXPECT_EQ(backoff_delay(c, 1, 0.0, {}), 4s);
  EXPECT_EQ(backoff_delay(c, 1, 1.0, {}), 6s);
  EXPECT_EQ(backoff_delay(c, 10, 0.5, {}), 30min);  // 5s·2^9 = 42m40s, capped
  EXPECT_EQ(backoff_delay(c, 60, 1.0, {}), 36min);  // cap + 20%
}

TEST(Backoff, ServerWaitIsNeverShortened) {
  auto c = delivery_config();
  EXPECT_EQ(backoff_delay(c, 1, 0.5, 90s), 90s);
  EXPECT_EQ(backoff_delay(c, 1, 0.5, 1s), 5s);  // not earlier than our own schedule either
}

TEST(Backoff, DeadAfterMaxAttemptsOrMaxAge) {
  auto c = delivery_config();
  auto p = plan_retry(c, 3, kNow, kNow - 1000, 0.5, {});
  EXPECT_FALSE(p.dead);
  EXPECT_EQ(p.next_at_ms, kNow + 20'000);
  auto last = plan_retry(c, 12, kNow, kNow, 0.5, {});
  EXPECT_TRUE(last.dead);
  EXPECT_NE(last.why_dead.find("max_attempts"), std::string::npos);
  auto old = plan_retry(c, 2, kNow, kNow - 48 * 3600 * 1000 + 5000, 0.5, {});
  EXPECT_TRUE(old.dead);
  EXPECT_NE(old.why_dead.find("max_age"), std::string::npos);
}

}  // namespace
}  // namespace asc_webhookd::delivery
