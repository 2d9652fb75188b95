#pragma once
// A github action and its connections, as the loader builds them.
#include "asc_webhookd/config/values.hpp"
#include "asc_webhookd/core/secret.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace asc_webhookd::config {

struct GithubAppAuth {
  std::int64_t app_id = 0;
  std::int64_t installation_id = 0;
  Secret private_key;
};

struct GithubConnection {
  std::optional<Secret> token;
  std::optional<GithubAppAuth> app;
  std::string api_url = "https://api.github.com";
};

// `issue:` — an issue made once per submission and repository; the crash
// log goes into its body (GitHub's REST API takes no files).
struct GithubIssue {
  std::string repo;  // owner/name
  Template title;
  std::optional<Template> body;  // else the feedback's lines
  std::vector<std::string> labels;
};

struct GithubAction {
  std::string connection = "default";
  std::string repo;  // owner/name
  // workflow_dispatch
  std::optional<std::string> workflow;
  std::optional<Template> ref;
  std::map<std::string, Template> inputs;
  // repository_dispatch
  std::optional<Template> event_type;
  std::optional<nlohmann::json> client_payload;  // string leaves are templates
  // issue (instead of a dispatch)
  std::optional<GithubIssue> issue;
  bool enrich_required = false;  // enrich: required — a failed lookup keeps retrying (never runs without instance)
  SourcePos pos;
};

// GitHub's limits on a dispatch (GitHub's REST API docs), checked at load where
// the values are written out and at send time where they are rendered.
struct GithubLimits {
  static constexpr std::size_t max_workflow_inputs = 25;  // github.com since 2025-12
  static constexpr std::size_t max_client_payload_keys = 10;
  static constexpr std::size_t max_client_payload_bytes = 64 * 1024;
  static constexpr std::size_t max_event_type = 100;
  static constexpr std::size_t max_issue_body = 65'536;  // characters
};

void to_json(nlohmann::json& j, const GithubAction& a);
void from_json(const nlohmann::json& j, GithubAction& a);

}  // namespace asc_webhookd::config
