#include "asc_webhookd/delivery/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace asc_webhookd::delivery {

std::chrono::milliseconds backoff_delay(const config::DeliveryConfig& cfg, int attempts_made, double unit,
                                        std::optional<std::chrono::milliseconds> server_wait) {
  const double initial = static_cast<double>(cfg.initial_backoff.count());
  const double cap = static_cast<double>(cfg.max_backoff.count());
  const int doublings = std::clamp(attempts_made - 1, 0, 62);
  double base = std::min(cap, initial * std::ldexp(1.0, doublings));
  double jittered = base * (0.8 + 0.4 * std::clamp(unit, 0.0, 1.0));
  auto delay = std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(jittered)));
  if (server_wait && *server_wait > delay) delay = *server_wait;
  return delay;
}

RetryPlan plan_retry(const config::DeliveryConfig& cfg, int attempts_made, std::int64_t now_ms,
                     std::int64_t created_at_ms, double unit, std::optional<std::chrono::milliseconds> server_wait) {
  RetryPlan p;
  if (attempts_made >= static_cast<int>(cfg.max_attempts)) {
    p.dead = true;
    p.why_dead = "gave up after " + std::to_string(attempts_made) + " attempts (delivery.max_attempts)";
    return p;
  }
  auto delay = backoff_delay(cfg, attempts_made, unit, server_wait);
  p.next_at_ms = now_ms + delay.count();
  if (p.next_at_ms - created_at_ms > cfg.max_age.count()) {
    p.dead = true;
    p.why_dead = "next try would be past delivery.max_age (" + format_duration(cfg.max_age) + ")";
  }
  return p;
}

}  // namespace asc_webhookd::delivery
