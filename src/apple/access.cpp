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

RateLimit parse_rate_limit(const std::string& header) {
  RateLimit out;
  std::size_t pos = 0;
  while (pos < header.size()) {
    std::size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    const std::string item = header.substr(pos, end - pos);
    pos = end + 1;
    const auto colon = item.find(':');
    if (colon == std::string::npos) continue;
    auto trim = [](std::string s) {
      while (!s.empty() && s.front() == ' ') s.erase(0, 1);
      while (!s.empty() && s.back() == ' ') s.pop_back();
      return s;
    };
    const std::string key = trim(item.substr(0, colon)), value = trim(item.substr(colon + 1));
    char* stop = nullptr;
    const long n = std::strtol(value.c_str(), &stop, 10);
    if (value.empty() || *stop != '\0' || n < 0) continue;
    if (key == "user-hour-lim") out.limit = n;
    else if (key == "user-hour-rem") out.remaining = n;
  }
  return out;
}

void export_rate_limit(const std::string& header) {
  const RateLimit r = parse_rate_limit(header);
  auto& reg = metrics::Registry::global();
  if (r.remaining) reg.set("asc_webhookd_asc_api_rate_limit_remaining", {}, static_cast<double>(*r.remaining));
  if (r.limit) reg.set("asc_webhookd_asc_api_rate_limit", {}, static_cast<double>(*r.limit));
}

}  // namespace asc_webhookd::apple
