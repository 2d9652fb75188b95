#pragma once
// The built-in Teams message: the Notice (common/notice.hpp) as an Adaptive
// Card, within Teams' limits.
#include <nlohmann/json.hpp>

#include <string>

namespace asc_webhookd::actions {

// An AdaptiveCard (version 1.4, what Teams renders everywhere).
nlohmann::json builtin_teams_card(const nlohmann::json& context);
// A card with one text block: a teams action's `text`.
nlohmann::json text_teams_card(const std::string& text);
// Microsoft's webhook envelope around a card: {"type":"message","attachments":[…]}.
nlohmann::json teams_message(const nlohmann::json& card);

}  // namespace asc_webhookd::actions
