#pragma once
// The built-in Slack message for an event (a slack action without text or
// blocks): a header with an emoji for the state, fields for app, version,
// build and old → new state, and a context line with the event id, plus a
// plain-text fallback. Uses enrichment data (instance, app, history) when
// the template data has it. Within Slack's Block Kit limits.
#include <nlohmann/json.hpp>

#include <string>

namespace asc_webhookd::actions {

// {"text": ..., "blocks": [...]}
nlohmann::json builtin_slack_message(const nlohmann::json& context);

// "READY_FOR_DISTRIBUTION" → "Ready for Distribution"
std::string human_state(const std::string& state);

// Cuts `s` to at most `max` bytes on a UTF-8 boundary, ending in "…" when cut.
std::string truncate_utf8(const std::string& s, std::size_t max);

}  // namespace asc_webhookd::actions
