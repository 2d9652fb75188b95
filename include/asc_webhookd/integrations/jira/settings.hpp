#pragma once
// A jira action and its connections, as the loader builds them.
#include "asc_webhookd/config/values.hpp"
#include "asc_webhookd/core/secret.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace asc_webhookd::config {

enum class JiraFlavor { automatic, cloud, datacenter };

struct JiraConnection {
  std::string base_url;
  std::string email;
  std::optional<Secret> api_token;
  std::optional<Secret> bearer_token;
  JiraFlavor flavor = JiraFlavor::automatic;
};

struct JiraReleaseVersion {
  Template project;
  Template name;
};

// `create:` an issue (instead of jql/transition): once per submission.
struct JiraCreate {
  Template project;     // key or id
  Template issue_type;  // name, or id when all digits
  Template summary;
  std::optional<Template> description;  // else the feedback's lines
  std::vector<std::string> labels;
};

struct JiraAction {
  std::string connection = "default";
  Template jql;
  std::optional<JiraCreate> create;
  std::vector<std::string> attach;  // with create: screenshots, crash_log
  std::optional<Template> transition;
  std::optional<Template> comment;
  std::optional<JiraReleaseVersion> release_version;
  bool enrich_required = false;  // enrich: required — a failed lookup keeps retrying (never runs without instance)
  SourcePos pos;
};

void to_json(nlohmann::json& j, const JiraAction& a);
void from_json(const nlohmann::json& j, JiraAction& a);

}  // namespace asc_webhookd::config
