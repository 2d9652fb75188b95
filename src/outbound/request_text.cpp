// Outbound requests as text for people, every credential masked: the
// exchange log, `simulate`, debug logs.
#include "asc_webhookd/outbound/request_text.hpp"

#include "asc_webhookd/outbound/exchange.hpp"

#include <nlohmann/json.hpp>

#include <strings.h>

namespace asc_webhookd::outbound {

using nlohmann::json;


std::string mask(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& s : secrets) {
    if (s.size() < 4) continue;  // masking "a" everywhere would hide the request, not the secret
    for (auto pos = text.find(s); pos != std::string::npos; pos = text.find(s, pos + 10))
      text.replace(pos, s.size(), "<redacted>");
  }
  return text;
}

std::string describe(const outbound::ClientRequest& r) {
  std::string url = r.url;
  for (const auto& s : r.secrets)
    if (s == r.url) url = redact_url(r.url) + "/<redacted>";  // a webhook URL: the path is the secret
  std::string out = r.method + " " + mask(url, r.secrets) + "\n";
  for (const auto& [k, v] : r.headers) {
    std::string value = mask(v, r.secrets);
    if (strcasecmp(k.c_str(), "authorization") == 0) {
      auto sp = v.find(' ');
      value = (sp == std::string::npos ? "" : v.substr(0, sp + 1)) + "<redacted>";
    }
    out += k + ": " + value + "\n";
  }
  if (!r.body.empty()) {
    auto j = json::parse(r.body, nullptr, false);
    out += "\n" + mask(j.is_discarded() ? r.body : j.dump(2), r.secrets) + "\n";
  }
  return out;
}


}  // namespace asc_webhookd::outbound
