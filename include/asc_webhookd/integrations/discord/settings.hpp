#pragma once
// A discord action and its connections, as the loader builds them.
#include "asc_webhookd/config/values.hpp"
#include "asc_webhookd/core/secret.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace asc_webhookd::config {

// A Discord webhook: https://discord.com/api/webhooks/ID/TOKEN.
struct DiscordConnection {
  Secret webhook_url;
};

// `text` replaces the built-in embed with that text.
struct DiscordAction {
  std::string connection;
  std::optional<Template> text;
  bool enrich_required = false;
  SourcePos pos;
};

void to_json(nlohmann::json& j, const DiscordAction& a);
void from_json(const nlohmann::json& j, DiscordAction& a);

}  // namespace asc_webhookd::config
