#include "asc_webhookd/apple/access.hpp"

#include "asc_webhookd/core/metrics.hpp"

#include <boost/url/parse.hpp>
#include <nlohmann/json.hpp>

#include <strings.h>

#include <cstdlib>
#include <cstring>

namespace asc_webhookd::apple {

namespace {
constexpr std::int64_t kTokenLifetimeS = 19 * 60;  // Apple refuses more than 20 minutes
const char* const kAppleHosts[] = {"api.appstoreconnect.apple.com", "api-appstoreconnect.itunes.apple.com"};
}  // namespace

Result<TokenMinter, Error> TokenMinter::create(const config::AppStoreConnectConfig& cfg, const Clock& clock) {
  auto key = jwt::SigningKey::load(cfg.private_key.reveal(), jwt::Algorithm::es256);
  if (!key) return Error{"app_store_connect.private_key: " + key.error().message};
  return TokenMinter(cfg, std::move(*key), clock);
}

std::string TokenMinter::token() {
  const std::int64_t now = clock_->now_ms();
  if (!token_.empty() && now < expires_ms_ - 60'000) return token_;
  const std::int64_t iat = now / 1000;
  nlohmann::json claims = {{"iat", iat}, {"exp", iat + kTokenLifetimeS}, {"aud", "appstoreconnect-v1"}};
  if (issuer_id_) claims["iss"] = *issuer_id_;
  else claims["sub"] = "user";  // an individual key
  auto t = key_.sign({{"kid", key_id_}, {"typ", "JWT"}}, claims);
  if (!t) return "";
  token_ = *t;
  expires_ms_ = (iat + kTokenLifetimeS) * 1000;
  return token_;
}

std::optional<std::string> link_at_base(const std::string& base_url, const std::string& link, std::string& why) {
  auto u = boost::urls::parse_absolute_uri(link);
  const std::string host = u ? std::string(u->encoded_host_and_port()) : "";
  bool known = false;
  for (const char* h : kAppleHosts) known = known || strcasecmp(host.c_str(), h) == 0;
  if (!u || strcasecmp(std::string(u->scheme()).c_str(), "https") != 0 || !known) {
    why = "link to " + (host.empty() ? link.substr(0, 60) : host) + " refused: not an App Store Connect API host";
    return std::nullopt;
  }
  std::string path(u->encoded_path());
  if (u->has_query()) path += "?" + std::string(u->encoded_query());
  return base_url + path;
}

void export_rate_limit(const std::string& header) {
  auto field = [&](const char* name) -> std::optional<double> {
    auto p = header.find(name);
    if (p == std::string::npos) return std::nullopt;
    return std::strtod(header.c_str() + p + std::strlen(name) + 1, nullptr);
  };
  auto& reg = metrics::Registry::global();
  if (auto rem = field("user-hour-rem")) reg.set("asc_webhookd_asc_api_rate_limit_remaining", {}, *rem);
  if (auto lim = field("user-hour-lim")) reg.set("asc_webhookd_asc_api_rate_limit", {}, *lim);
}

}  // namespace asc_webhookd::apple
