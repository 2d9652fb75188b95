#pragma once
// What every call to the App Store Connect API shares (Apple's App Store Connect API docs):
// the ES256 token from the .p8 key (team key: iss; individual key: sub
// "user"; aud appstoreconnect-v1; 19 minutes, reused until a minute before
// it expires), and the rule for links found in Apple's answers and payloads
// (an instance link, `links.next`): only Apple's API hosts, requested at
// base_url with their path and query, so the token never goes elsewhere.
#include "asc_webhookd/config/config.hpp"
#include "asc_webhookd/core/clock.hpp"
#include "asc_webhookd/core/jwt.hpp"
#include "asc_webhookd/core/result.hpp"

#include <optional>
#include <string>

namespace asc_webhookd::apple {

class TokenMinter {
public:
  static Result<TokenMinter, Error> create(const config::AppStoreConnectConfig& cfg, const Clock& clock);
  // The current token ("" when signing failed).
  std::string token();

private:
  TokenMinter(const config::AppStoreConnectConfig& cfg, jwt::SigningKey key, const Clock& clock)
      : issuer_id_(cfg.issuer_id), key_id_(cfg.key_id), key_(std::move(key)), clock_(&clock) {}
  std::optional<std::string> issuer_id_;
  std::string key_id_;
  jwt::SigningKey key_;
  const Clock* clock_;
  std::string token_;
  std::int64_t expires_ms_ = 0;
};

// base_url + the path and query of `link`, an https URL on one of Apple's API
// hosts (any case); nullopt with `why` otherwise.
std::optional<std::string> link_at_base(const std::string& base_url, const std::string& link, std::string& why);

// Apple's X-Rate-Limit: "user-hour-lim:3500;user-hour-rem:500;" (either
// order, unknown keys ignored, the trailing ';' optional, often absent).
struct RateLimit {
  std::optional<long> limit;      // requests per rolling hour for this key
  std::optional<long> remaining;  // of those, left
  // Under a twentieth of the hour left (or under 50): passes space out.
  bool low() const { return limit && remaining && (*remaining < *limit / 20 || *remaining < 50); }
};
RateLimit parse_rate_limit(const std::string& header);

// "user-hour-lim:3500;user-hour-rem:500;" → the rate-limit gauges.
void export_rate_limit(const std::string& header);

}  // namespace asc_webhookd::apple
