#pragma once
// The built-in Slack message for an event (a slack action without text or
// blocks): the Notice (notice.hpp) as a header with an emoji for the state,
// fields for app, version, build and old → new state, the details, and a
// context line with the event id, plus a plain-text fallback. Within Slack's
// Block Kit limits.
#include "asc_webhookd/integrations/common/notice.hpp"

#include <nlohmann/json.hpp>

namespace asc_webhookd::actions {

// {"text": ..., "blocks": [...]}
nlohmann::json builtin_slack_message(const nlohmann::json& context);

}  // namespace asc_webhookd::actions
