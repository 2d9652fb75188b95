// The retry classification table and the backoff schedule, on fixed inputs.
#include "asc_webhookd/delivery/backoff.hpp"
#include "asc_webhookd/delivery/classifier.hpp"

#include <gtest/gtest.h>

namespace asc_webhookd::delivery {
namespace {

using namespace std::chrono_literals;
constexpr std::int64_t kNow = 1'750'000'000'000;  // 2025-06-15T15:06:40Z

struct Row {
  const char* kind;
  std::optional<unsigned> status;
  std::vector<std::pair<std::string, std::string>> headers;
  Verdict verdict;
  std::optional<std::chrono::milliseconds> wait;
};

class ClassifierTable : public ::testing::TestWithParam<Row> {};

TEST_P(ClassifierTable, Decides) {
  const auto& row = GetParam();
  AttemptResult r;
  r.status = row.status;
  r.headers = row.headers;
  if (!row.status) r.error = "cannot connect to 127.0.0.1:1: Connection refused";
  auto c = classify(row.kind, r, kNow);
  EXPECT_EQ(c.verdict, row.verdict);
  EXPECT_EQ(c.wait, row.wait);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ClassifierTable,
    ::testing::Values(Row{"http", 200, {}, Verdict::success, {}}, Row{"http", 204, {}, Verdict::success, {}},
                      Row{"http", std::nullopt, {}, Verdict::retry, {}}, Row{"http", 500, {}, Verdict::retry, {}},
                      Row{"http", 502, {}, Verdict::retry, {}}, Row{"http", 503, {{"Retry-After", "7"}}, Verdict::retry, 7s},
                      Row{"http", 429, {}, Verdict::retry, {}}, Row{"http", 429, {{"retry-after", "30"}}, Verdict::retry, 30s},
                      Row{"http", 429, {{"Retry-After", "Sun, 15 Jun 2025 15:07:40 GMT"}}, Verdict::retry, 60s},
                      Row{"github", 403, {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", "1750000120"}}, Verdict::retry, 120s},
                      Row{"github", 403, {{"retry-after", "60"}}, Verdict::retry, 60s},
                      Row{"github", 403, {}, Verdict::final, {}}, Row{"http", 400, {}, Verdict::final, {}},
                      Row{"http", 401, {}, Verdict::final, {}}, Row{"http", 404, {}, Verdict::final, {}},
                      Row{"http", 408, {}, Verdict::final, {}}, Row{"http", 410, {}, Verdict::final, {}},
                      Row{"http", 422, {}, Verdict::final, {}}, Row{"http", 409, {}, Verdict::final, {}},
                      Row{"jira", 409, {}, Verdict::retry, {}},
                      Row{"jira", 429, {{"X-RateLimit-Reset", "2025-06-15T15:10Z"}}, Verdict::retry, 200s},
                      Row{"http", 301, {}, Verdict::final, {}}));

TEST(RetryAfter, Forms) {
  EXPECT_EQ(parse_retry_after("0", kNow), 0ms);
  EXPECT_EQ(parse_retry_after(" 12 ", kNow), 12s);
  EXPECT_EQ(parse_retry_after("Sun, 15 Jun 2025 15:06:00 GMT", kNow), 0ms);  // in the past
  EXPECT_FALSE(parse_retry_after("", kNow));
  EXPECT_FALSE(parse_retry_after("soon", kNow));
  EXPECT_FALSE(parse_retry_after("-5", kNow));
}

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
