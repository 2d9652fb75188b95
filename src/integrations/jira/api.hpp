#pragma once
// Jira's REST API as the jira actions call it: Cloud (REST v3, ADF rich
// text, Basic email:token) or Data Center (REST v2, strings, Bearer PAT).
// Private to src/integrations/jira/.
#include "asc_webhookd/integrations/jira/run.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace asc_webhookd::actions::detail::jira_api {

// A path segment (issue key, project key, version id), percent-encoded.
std::string segment(const std::string& s);

struct Api {
  const config::JiraConnection& conn;
  bool cloud;
  std::string base;  // .../rest/api/3 or /2
  std::string auth;
  std::vector<std::string> secrets;
  Duration timeout;

  outbound::ClientRequest request(const std::string& method, const std::string& path, const nlohmann::json* body) const;
  // One call: the response on 2xx, else out.result says what went wrong.
  boost::asio::awaitable<std::optional<outbound::ClientResponse>> call(Services& s, Outcome& out, const std::string& method,
                                                                       const std::string& path,
                                                                       const nlohmann::json* body) const;
};

Api make_api(const config::JiraConnection& conn, Duration timeout);

// One page of a JQL search (Cloud: POST /search/jql; Data Center: POST
// /search): the answer, with its `issues` list; nullopt (with `out` set)
// when the call failed or the answer has no list.
boost::asio::awaitable<std::optional<nlohmann::json>> search_page(const Api& api, Services& s, Outcome& out,
                                                                  const nlohmann::json& body);

// Rich text as the deployment takes it: an ADF document of one paragraph
// per line on Cloud, the string itself (wiki markup) on Data Center.
nlohmann::json rich_text(bool cloud, const std::string& text);

}  // namespace asc_webhookd::actions::detail::jira_api
