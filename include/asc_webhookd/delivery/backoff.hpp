#pragma once
// When to try a job again, and when to give up (docs/design.md
// "Retries"): exponential from initial_backoff, doubling per attempt, capped at
// max_backoff, ±20% jitter; a server-given wait is honoured (never retry
// earlier than it says); dead after max_attempts or max_age. Pure.
#include "asc_webhookd/config/config.hpp"

#include <chrono>
#include <cstdint>
#include <optional>

namespace asc_webhookd::delivery {

// `attempts_made` counts the attempt that just failed (1 after the first).
// `unit` in [0, 1) picks the jitter (tests pass fixed values).
std::chrono::milliseconds backoff_delay(const config::DeliveryConfig& cfg, int attempts_made, double unit,
                                        std::optional<std::chrono::milliseconds> server_wait);

struct RetryPlan {
  bool dead = false;
  std::int64_t next_at_ms = 0;
  std::string why_dead;
};

RetryPlan plan_retry(const config::DeliveryConfig& cfg, int attempts_made, std::int64_t now_ms,
                     std::int64_t created_at_ms, double unit, std::optional<std::chrono::milliseconds> server_wait);

}  // namespace asc_webhookd::delivery
