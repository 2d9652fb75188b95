#pragma once
// The one retry decision (docs/design.md, "Retries"): what an outbound answer means —
// success, retry (with the server's own wait when it gives one), or final.
// Common to every integration: no answer (connection error, timeout), 5xx
// and 429 are retried, honouring Retry-After and x-ratelimit-reset; other
// non-2xx answers are final. What an integration adds is a RetryPolicy
// value it owns (rate-limit 403s, a 409 that means "again", a 200 whose
// body says ok:false), never a branch on its name here.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asc_webhookd::outbound {

enum class Verdict { success, retry, final };

struct Decision {
  Verdict verdict = Verdict::final;
  std::optional<std::chrono::milliseconds> wait;  // from Retry-After / x-ratelimit-reset
  std::string reason;                             // empty on success
};

// What one attempt got back.
struct AttemptResult {
  std::optional<unsigned> status;  // absent: no HTTP answer (network error, timeout)
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string error;  // the network error, or what the service said was wrong
  std::string header(std::string_view name) const;  // case-insensitive; "" if absent
};

// A 2xx that is still an error (200 with {"ok": false}).
struct BodyError {
  std::string reason;
  bool retryable = false;
  std::chrono::milliseconds wait_without_header{0};  // when retryable and the answer names no wait
};

struct RetryPolicy {
  // Retried besides 5xx and 429 (such as a 409 for a concurrent change).
  std::vector<unsigned> also_retry;
  // Rate limits answered with 403: retried when
  // x-ratelimit-remaining is 0, a retry-after is sent, or the message says
  // "secondary rate limit" (then at least a minute, as octokit waits).
  bool rate_limit_403 = false;
  // Reads a 2xx body; nullopt when it is a success.
  std::optional<BodyError> (*error_in_2xx)(const AttemptResult&) = nullptr;
  // The wait a 429 names in its body, preferred to the headers (a
  // `retry_after` may have the decimals a Retry-After header rounds away).
  std::optional<std::chrono::milliseconds> (*wait_in_body)(const AttemptResult&) = nullptr;
  // A 4xx that means "later" (a creation limit answered with 400): retried, after the
  // headers' wait or `later_wait`.
  bool (*later_4xx)(const AttemptResult&) = nullptr;
  std::chrono::milliseconds later_wait{60'000};
};

// Plain HTTP: the common rules alone (the http action, the App Store Connect API).
inline const RetryPolicy kPlainHttp{};

Decision decide(const RetryPolicy& policy, const AttemptResult& answer, std::int64_t now_ms);

// A decision an integration reaches without asking a server (a template
// that does not render, a value the service would refuse).
inline Decision final_decision(std::string reason) { return {Verdict::final, std::nullopt, std::move(reason)}; }
// An answer that cannot be used but may be next time (a 2xx without the field it must have).
inline Decision retry_decision(std::string reason) { return {Verdict::retry, std::nullopt, std::move(reason)}; }

// Retry-After: delay-seconds or an HTTP-date. nullopt when absent or unreadable.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, std::int64_t now_ms);
// x-ratelimit-reset: Unix seconds, or ISO 8601 without seconds ("2026-08-22T10:15Z").
std::optional<std::chrono::milliseconds> parse_ratelimit_reset(std::string_view value, std::int64_t now_ms);

}  // namespace asc_webhookd::outbound
