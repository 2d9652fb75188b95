#pragma once
// The one place that decides what an attempt's result means (DESIGN.md §6):
// success, retry (with the server's own wait when it gives one), or final.
// Retryable: connection errors, timeouts, 5xx, 429, GitHub rate-limit 403s,
// Jira 409 on a transition. Everything else 4xx is final.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asc_webhookd::delivery {

enum class Verdict { success, retry, final };

struct Classification {
  Verdict verdict = Verdict::final;
  std::optional<std::chrono::milliseconds> wait;  // from Retry-After / x-ratelimit-reset
  std::string reason;
};

struct AttemptResult {
  std::optional<unsigned> status;  // absent: no HTTP answer (network error, timeout)
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string error;  // the network error, or what the service said was wrong
  std::string header(std::string_view name) const;
};

Classification classify(std::string_view kind, const AttemptResult& r, std::int64_t now_ms);

// Retry-After: delay-seconds or an HTTP-date. nullopt when absent or unreadable.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, std::int64_t now_ms);
// x-ratelimit-reset: Unix seconds (GitHub) or ISO 8601 "2026-08-22T10:15Z" (Jira).
std::optional<std::chrono::milliseconds> parse_ratelimit_reset(std::string_view value, std::int64_t now_ms);

}  // namespace asc_webhookd::delivery
