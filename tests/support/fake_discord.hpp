#pragma once
// A fake Discord webhook endpoint (its documented answers) on 127.0.0.1:
// /api/v10/webhooks/{id}/{token} (and unversioned); an unknown id → 404
// "Unknown Webhook" (10015), a wrong token → 401 "Invalid Webhook Token"
// (50027); Discord's checks on the body (something to send: 50006; content
// ≤ 2000, ≤ 10 embeds, title 256, description 4096, ≤ 25 fields of 256/1024,
// footer 2048, 6000 in all: 50035 with an `errors` tree; allowed_mentions
// `parse` beside a list of the same type); `wait=true` → 200 with the
// message object, else 204. A bucket limits each webhook (default off) and
// answers 429 with a fractional `retry_after`, an integer Retry-After and
// the X-RateLimit-* headers.
#include "support/fake_http.hpp"

#include <nlohmann/json.hpp>

namespace asc_webhookd::test {

class FakeDiscord {
public:
  FakeDiscord();
  // A webhook; its URL (https://discord.com/api/webhooks/ID/TOKEN form).
  std::string add_webhook(const std::string& id, const std::string& token);
  void delete_webhook(const std::string& id);
  // At most `per_window` messages per webhook in each `window` (Discord's
  // observed 5 per 2 s); 0: no limit.
  void set_bucket(int per_window, std::chrono::milliseconds window);

  std::vector<nlohmann::json> messages() const;  // accepted bodies
  std::size_t calls(const std::string& id) const;  // requests for that webhook id, answered or not

private:
  FakeResponse handle(const FakeRequest& r);

  mutable std::mutex mutex_;
  std::map<std::string, std::string> hooks_;  // id → token
  std::map<std::string, std::size_t> calls_;
  std::map<std::string, std::vector<std::chrono::steady_clock::time_point>> sent_;
  int per_window_ = 0;
  std::chrono::milliseconds window_{2000};
  std::vector<nlohmann::json> messages_;
  std::int64_t next_id_ = 1300000000000000001;

public:
  FakeHttpServer server;  // last: stopped before the state its handler uses goes
};

}  // namespace asc_webhookd::test
