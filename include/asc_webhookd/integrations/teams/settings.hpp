#pragma once
// A teams action and its connections, as the loader builds them.
#include "asc_webhookd/config/values.hpp"
#include "asc_webhookd/core/secret.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace asc_webhookd::config {

// A Teams Workflows webhook ("When a Teams webhook request is received"):
// the URL, with its SAS signature, is the credential (Microsoft's Workflows webhook).
// `envelope: message` (default) wraps the Adaptive Card in the message
// envelope Microsoft documents; `card` posts the bare card, for flows that
// read the body as the card.
struct TeamsConnection {
  Secret webhook_url;
  bool bare_card = false;
};

// `text` replaces the built-in card with that text.
struct TeamsAction {
  std::string connection;
  std::optional<Template> text;
  bool enrich_required = false;
  SourcePos pos;
};

void to_json(nlohmann::json& j, const TeamsAction& a);
void from_json(const nlohmann::json& j, TeamsAction& a);

}  // namespace asc_webhookd::config
