#pragma once
// An http action and its connections, as the loader builds them.
#include "asc_webhookd/config/values.hpp"
#include "asc_webhookd/core/secret.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace asc_webhookd::config {

struct HttpHeader {
  std::string name;
  Secret value;  // header values may carry keys; never logged
};

struct HttpConnection {
  Secret url;
  std::vector<HttpHeader> headers;
};

struct HttpAction {
  std::optional<std::string> connection;
  std::optional<Template> url;
  std::string method = "POST";
  std::map<std::string, Template> headers;
  std::optional<Template> body;  // absent: the raw event JSON as received
  // body_escape: json — every {{value}} in `body` is escaped for a JSON
  // string literal (a quote in a tester's comment cannot end the string),
  // and the rendered body must parse as JSON.
  bool body_json_escaped = false;
  bool enrich_required = false;  // enrich: required — a failed lookup keeps retrying (never runs without instance)
  SourcePos pos;
};

void to_json(nlohmann::json& j, const HttpAction& a);
void from_json(const nlohmann::json& j, HttpAction& a);

}  // namespace asc_webhookd::config
