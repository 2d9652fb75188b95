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

namespace {

std::string shown_url(const outbound::ClientRequest& r) {
  for (const auto& s : r.secrets)
    if (s == r.url) return redact_url(r.url) + "/<redacted>";  // a webhook URL: the path is the secret
  return mask(r.url, r.secrets);
}

std::vector<std::pair<std::string, std::string>> shown_headers(const outbound::ClientRequest& r) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [k, v] : r.headers) {
    std::string value = mask(v, r.secrets);
    if (strcasecmp(k.c_str(), "authorization") == 0) {
      auto sp = v.find(' ');
      value = (sp == std::string::npos ? "" : v.substr(0, sp + 1)) + "<redacted>";
    }
    out.emplace_back(k, std::move(value));
  }
  return out;
}

}  // namespace

json request_json(const outbound::ClientRequest& r, std::size_t max_body) {
  json headers = json::array();
  for (auto& [k, v] : shown_headers(r)) headers.push_back({k, v});
  std::string body = mask(r.shown_body.empty() ? r.body : r.shown_body, r.secrets);
  if (body.size() > max_body) {
    std::size_t cut = max_body;
    while (cut > 0 && (static_cast<unsigned char>(body[cut]) & 0xC0) == 0x80) --cut;
    body = body.substr(0, cut) + "… [cut at " + std::to_string(max_body / 1024) + " KiB]";
  }
  return {{"method", r.method}, {"url", shown_url(r)}, {"headers", headers}, {"body", body}};
}

std::string describe(const outbound::ClientRequest& r) {
  std::string out = r.method + " " + shown_url(r) + "\n";
  for (const auto& [k, v] : shown_headers(r)) out += k + ": " + v + "\n";
  if (!r.shown_body.empty()) {
    out += "\n" + mask(r.shown_body, r.secrets) + "\n";
  } else if (!r.body.empty()) {
    auto j = json::parse(r.body, nullptr, false);
    out += "\n" + mask(j.is_discarded() ? r.body : j.dump(2), r.secrets) + "\n";
  }
  return out;
}


}  // namespace asc_webhookd::outbound
