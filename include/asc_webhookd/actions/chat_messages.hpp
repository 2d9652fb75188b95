#pragma once
// The built-in Teams and Discord messages: the Notice (notice.hpp) as an
// Adaptive Card (outbound-apis.md §7.3) and as a Discord embed (§8.2),
// each within its service's limits.
#include <nlohmann/json.hpp>

#include <string>

namespace asc_webhookd::actions {

// An AdaptiveCard (version 1.4, what Teams renders everywhere).
nlohmann::json builtin_teams_card(const nlohmann::json& context);
// A card with one text block: a teams action's `text`.
nlohmann::json text_teams_card(const std::string& text);
// Microsoft's webhook envelope around a card: {"type":"message","attachments":[…]}.
nlohmann::json teams_message(const nlohmann::json& card);

// {"username", "embeds": [one embed], "allowed_mentions": {"parse": []}}
nlohmann::json builtin_discord_message(const nlohmann::json& context);
// {"content": text, …}: a discord action's `text` (mentions stay silent).
nlohmann::json text_discord_message(const std::string& text);

}  // namespace asc_webhookd::actions
