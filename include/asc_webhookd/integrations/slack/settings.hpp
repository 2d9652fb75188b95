#pragma once
// A slack action and its connections, as the loader builds them.
#include "asc_webhookd/config/values.hpp"
#include "asc_webhookd/core/secret.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace asc_webhookd::config {

struct SlackConnection {
  std::optional<Secret> webhook_url;  // the URL is the credential
  std::optional<Secret> bot_token;
  std::string api_url = "https://slack.com/api";
};

struct SlackAction {
  std::string connection;
  std::optional<Template> channel;
  std::optional<Template> text;
  std::optional<nlohmann::json> blocks;  // string leaves are templates
  bool thread_per_instance = false;
  bool update_parent = false;
  std::vector<std::string> attach;  // feedback files posted in the message's thread (bot connections)
  bool enrich_required = false;  // enrich: required — a failed lookup keeps retrying (never runs without instance)
  SourcePos pos;
};

void to_json(nlohmann::json& j, const SlackAction& a);
void from_json(const nlohmann::json& j, SlackAction& a);

}  // namespace asc_webhookd::config
