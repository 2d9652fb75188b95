#pragma once
// The built-in Discord message: the Notice (common/notice.hpp) as an embed,
// within Discord's limits.
#include <nlohmann/json.hpp>

#include <string>

namespace asc_webhookd::actions {

// {"username", "embeds": [one embed], "allowed_mentions": {"parse": []}}
nlohmann::json builtin_discord_message(const nlohmann::json& context);
// {"content": text, …}: a discord action's `text` (mentions stay silent).
nlohmann::json text_discord_message(const std::string& text);

}  // namespace asc_webhookd::actions
