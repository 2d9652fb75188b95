#include "asc_webhookd/delivery/classifier.hpp"

#include "asc_webhookd/ingest/event.hpp"

#include <nlohmann/json.hpp>
#include <strings.h>

#include <charconv>
#include <ctime>

namespace asc_webhookd::delivery {

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
  // Jira Cloud: yyyy-MM-ddTHH:mmZ (no seconds); fill them in for the RFC 3339 parser.
  std::string s(v);
  if (s.size() == 17 && s[16] == 'Z') s.insert(16, ":00");
  if (auto ns = ingest::parse_rfc3339_nanos(s))
    return std::chrono::milliseconds(std::max<std::int64_t>(0, *ns / 1'000'000 - now_ms));
  return std::nullopt;
}

Classification classify(std::string_view kind, const AttemptResult& r, std::int64_t now_ms) {
  Classification c;
  if (!r.status) {
    c.verdict = Verdict::retry;
    c.reason = r.error.empty() ? "no answer" : r.error;
    return c;
  }
  const unsigned s = *r.status;
  auto wait = [&] {
    if (auto ra = parse_retry_after(r.header("retry-after"), now_ms)) return ra;
    return parse_ratelimit_reset(r.header("x-ratelimit-reset"), now_ms);
  };
  if (s >= 200 && s < 300) {
    // Slack's Web API answers most errors with 200 and {"ok":false}:
    // permanent, except rate limits (DESIGN.md §6).
    if (kind == "slack" && !r.body.empty() && r.body.front() == '{') {
      auto j = nlohmann::json::parse(r.body, nullptr, false);
      if (j.is_object() && j.contains("ok") && j["ok"] == false) {
        const std::string err = j.value("error", std::string("ok:false"));
        c.reason = "slack: " + err;
        if (err == "ratelimited" || err == "rate_limited") {
          c.verdict = Verdict::retry;
          c.wait = wait();
          if (!c.wait) c.wait = std::chrono::seconds(1);
        } else {
          c.verdict = Verdict::final;
        }
        return c;
      }
    }
    c.verdict = Verdict::success;
    return c;
  }
  c.reason = "HTTP " + std::to_string(s) + (r.error.empty() ? "" : ": " + r.error);
  // GitHub's secondary rate limit may come without any header: wait at
  // least a minute (octokit does the same).
  const bool github_secondary = kind == "github" && (s == 403 || s == 429) &&
                                (r.body.find("secondary rate limit") != std::string::npos ||
                                 r.error.find("secondary rate limit") != std::string::npos);
  if (s == 429 || s >= 500) {
    c.verdict = Verdict::retry;
    c.wait = wait();
    if (!c.wait && github_secondary) c.wait = std::chrono::seconds(60);
    return c;
  }
  // GitHub's primary and secondary rate limits answer 403 (docs: "Rate
  // limits for the REST API"): remaining 0, or a retry-after header.
  if (s == 403 && (r.header("x-ratelimit-remaining") == "0" || !r.header("retry-after").empty() || github_secondary)) {
    c.verdict = Verdict::retry;
    c.wait = wait();
    if (!c.wait && github_secondary) c.wait = std::chrono::seconds(60);
    c.reason += " (rate limited)";
    return c;
  }
  if (s == 409 && kind == "jira") {  // a concurrent transition; the next try sees the new state
    c.verdict = Verdict::retry;
    c.wait = wait();
    return c;
  }
  c.verdict = Verdict::final;
  return c;
}

}  // namespace asc_webhookd::delivery
