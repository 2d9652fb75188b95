#include "asc_webhookd/outbound/retry.hpp"

#include "asc_webhookd/event/event.hpp"

#include <strings.h>

#include <algorithm>
#include <charconv>
#include <ctime>

namespace asc_webhookd::outbound {

std::string AttemptResult::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  return {};
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view v, std::int64_t now_ms) {
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v.empty()) return std::nullopt;
  std::int64_t secs = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), secs);
  if (ec == std::errc{} && p == v.data() + v.size()) {
    if (secs < 0) return std::nullopt;
    return std::chrono::milliseconds(secs * 1000);
  }
  // IMF-fixdate, e.g. "Wed, 21 Oct 2015 07:28:00 GMT" (RFC 9110 §5.6.7).
  std::tm tm{};
  std::string s(v);
  const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  std::int64_t at_ms = static_cast<std::int64_t>(timegm(&tm)) * 1000;
  return std::chrono::milliseconds(std::max<std::int64_t>(0, at_ms - now_ms));
}

std::optional<std::chrono::milliseconds> parse_ratelimit_reset(std::string_view v, std::int64_t now_ms) {
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  if (v.empty()) return std::nullopt;
  std::int64_t epoch = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), epoch);
  if (ec == std::errc{} && p == v.data() + v.size())
    return std::chrono::milliseconds(std::max<std::int64_t>(0, epoch * 1000 - now_ms));
  // yyyy-MM-ddTHH:mmZ (no seconds, as Atlassian sends it); fill them in for the RFC 3339 parser.
  std::string s(v);
  if (s.size() == 17 && s[16] == 'Z') s.insert(16, ":00");
  if (auto ns = event::parse_rfc3339_nanos(s))
    return std::chrono::milliseconds(std::max<std::int64_t>(0, *ns / 1'000'000 - now_ms));
  return std::nullopt;
}

namespace {

bool secondary_rate_limit(const AttemptResult& r) {
  return r.body.find("secondary rate limit") != std::string::npos ||
         r.error.find("secondary rate limit") != std::string::npos;
}

}  // namespace

Decision decide(const RetryPolicy& policy, const AttemptResult& r, std::int64_t now_ms) {
  Decision d;
  if (!r.status) {
    d.verdict = Verdict::retry;
    d.reason = r.error.empty() ? "no answer" : r.error;
    return d;
  }
  const unsigned s = *r.status;
  auto wait = [&]() -> std::optional<std::chrono::milliseconds> {
    if (s == 429 && policy.wait_in_body)
      if (auto w = policy.wait_in_body(r)) return w;
    if (auto ra = parse_retry_after(r.header("retry-after"), now_ms)) return ra;
    return parse_ratelimit_reset(r.header("x-ratelimit-reset"), now_ms);
  };
  if (s >= 200 && s < 300) {
    if (policy.error_in_2xx) {
      if (auto bad = policy.error_in_2xx(r)) {
        d.reason = bad->reason;
        d.verdict = bad->retryable ? Verdict::retry : Verdict::final;
        if (bad->retryable) d.wait = wait().value_or(bad->wait_without_header);
        return d;
      }
    }
    d.verdict = Verdict::success;
    return d;
  }
  d.reason = "HTTP " + std::to_string(s) + (r.error.empty() ? "" : ": " + r.error);
  const bool secondary = policy.rate_limit_403 && (s == 403 || s == 429) && secondary_rate_limit(r);
  auto retry = [&](const char* note) {
    d.verdict = Verdict::retry;
    d.wait = wait();
    if (!d.wait && secondary) d.wait = std::chrono::seconds(60);
    d.reason += note;
    return d;
  };
  if (s == 429 || s >= 500) return retry("");
  // A rate-limit 403: remaining 0, or a retry-after header.
  if (policy.rate_limit_403 && s == 403 &&
      (r.header("x-ratelimit-remaining") == "0" || !r.header("retry-after").empty() || secondary))
    return retry(" (rate limited)");
  if (std::find(policy.also_retry.begin(), policy.also_retry.end(), s) != policy.also_retry.end()) return retry("");
  if (policy.later_4xx && s >= 400 && s < 500 && policy.later_4xx(r)) {
    retry(" (the service's own limit)");
    if (!d.wait) d.wait = policy.later_wait;
    return d;
  }
  d.verdict = Verdict::final;
  return d;
}

}  // namespace asc_webhookd::outbound
