#pragma once
// A gitlab action and its connections, as the loader builds them.
#include "asc_webhookd/config/values.hpp"
#include "asc_webhookd/core/secret.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace asc_webhookd::config {

// A GitLab pipeline trigger token and the instance's API.
struct GitlabConnection {
  Secret trigger_token;
  std::string api_url = "https://gitlab.com/api/v4";
};

struct GitlabAction {
  std::string connection = "default";
  std::string project;  // numeric id or group/name (percent-encoded on the wire)
  Template ref{"main", {}};
  std::map<std::string, Template> variables;
  bool enrich_required = false;
  SourcePos pos;
};

void to_json(nlohmann::json& j, const GitlabAction& a);
void from_json(const nlohmann::json& j, GitlabAction& a);

}  // namespace asc_webhookd::config
