// Jira's REST API, Cloud or Data Center (api.hpp).
#include "api.hpp"

#include "asc_webhookd/core/jwt.hpp"
#include "asc_webhookd/outbound/request_check.hpp"

#include <boost/url/parse.hpp>

namespace asc_webhookd::actions::detail::jira_api {

using nlohmann::json;
namespace net = boost::asio;

std::string segment(const std::string& s) { return outbound::encode_component(s); }

outbound::ClientRequest Api::request(const std::string& method, const std::string& path, const json* body) const {
  outbound::ClientRequest r;
  r.method = method;
  r.url = base + path;
  r.timeout = timeout;
  r.headers = {{"Authorization", auth}, {"Accept", "application/json"}, {"Accept-Language", "en"}};
  if (body) {
    r.headers.emplace_back("Content-Type", "application/json");
    r.body = body->dump();
  }
  r.secrets = secrets;
  return r;
}

net::awaitable<std::optional<outbound::ClientResponse>> Api::call(Services& s, Outcome& out, const std::string& method,
                                                                  const std::string& path, const json* body) const {
  co_return co_await send(s, out, request(method, path, body), jira_policy());
}

Api make_api(const config::JiraConnection& conn, Duration timeout) {
  const auto parsed = boost::urls::parse_absolute_uri(conn.base_url);
  const std::string host = parsed ? std::string(parsed->host()) : "";
  const bool cloud = conn.flavor == config::JiraFlavor::cloud ||
                     (conn.flavor == config::JiraFlavor::automatic && host.size() > 14 &&
                      host.compare(host.size() - 14, 14, ".atlassian.net") == 0);
  Api api{conn, cloud, conn.base_url + (cloud ? "/rest/api/3" : "/rest/api/2"), "", {}, timeout};
  if (conn.api_token) {
    api.auth = "Basic " + jwt::base64(conn.email + ":" + conn.api_token->reveal());
    api.secrets = {conn.api_token->reveal(), api.auth.substr(6)};
  } else {
    api.auth = "Bearer " + conn.bearer_token->reveal();
    api.secrets = {conn.bearer_token->reveal()};
  }
  return api;
}

net::awaitable<std::optional<json>> search_page(const Api& api, Services& s, Outcome& out, const json& body) {
  auto res = co_await api.call(s, out, "POST", api.cloud ? "/search/jql" : "/search", &body);
  if (!res) co_return std::nullopt;
  auto j = json::parse(res->body, nullptr, false);
  if (!j.is_object() || !j.contains("issues") || !j["issues"].is_array()) {
    retry_later(out, "Jira search answered without an issues list");
    co_return std::nullopt;
  }
  co_return j;
}

json rich_text(bool cloud, const std::string& text) {
  if (!cloud) return text;
  json paragraphs = json::array();
  std::size_t start = 0;
  while (start <= text.size()) {  // one ADF paragraph per line; ADF refuses an empty text node
    auto nl = text.find('\n', start);
    std::string line = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    json content = json::array();
    if (!line.empty()) content.push_back({{"type", "text"}, {"text", line}});
    paragraphs.push_back({{"type", "paragraph"}, {"content", content}});
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return {{"type", "doc"}, {"version", 1}, {"content", paragraphs}};
}

}  // namespace asc_webhookd::actions::detail::jira_api
