// The built-in Teams message: the Notice (common/notice.hpp) as an
// Adaptive Card, within Teams' message limits.
#include "asc_webhookd/integrations/teams/card.hpp"

#include "asc_webhookd/integrations/common/notice.hpp"

namespace asc_webhookd::actions {

using nlohmann::json;

namespace {

// Teams: a message is at most 28 KB (~21 KB seen in practice); the crash
// log and details are cut well before.
constexpr std::size_t kTeamsLineMax = 2000;

json text_block(const std::string& text) { return {{"type", "TextBlock"}, {"text", text}, {"wrap", true}}; }

json card(json body, json actions) {
  json c = {{"$schema", "http://adaptivecards.io/schemas/adaptive-card.json"}, {"type", "AdaptiveCard"}, {"version", "1.4"},
            {"body", std::move(body)}};
  if (!actions.empty()) c["actions"] = std::move(actions);
  return c;
}

}  // namespace

json builtin_teams_card(const json& context) {
  const Notice n = build_notice(context);
  json body = json::array();
  json head = text_block(n.emoji + " " + n.subject + " — " + n.title);
  head["weight"] = "Bolder";
  head["size"] = "Medium";
  if (n.tone == Tone::bad) head["color"] = "Attention";
  else if (n.tone == Tone::warning) head["color"] = "Warning";
  else if (n.tone == Tone::good) head["color"] = "Good";
  body.push_back(head);
  json facts = json::array();
  for (const auto& f : n.facts) facts.push_back({{"title", f.name}, {"value", f.value + (f.code.empty() ? "" : " " + f.code)}});
  if (!facts.empty()) body.push_back({{"type", "FactSet"}, {"facts", facts}});
  for (const auto& l : n.details) {
    json b = text_block(truncate_utf8(markdown_line(l, false), kTeamsLineMax));
    if (l.code) b["fontType"] = "Monospace";
    body.push_back(b);
  }
  json note = text_block(context_line(n));
  note["isSubtle"] = true;
  note["size"] = "Small";
  body.push_back(note);
  json actions = json::array();
  if (!n.link.empty()) actions.push_back({{"type", "Action.OpenUrl"}, {"title", "Open in App Store Connect"}, {"url", n.link}});
  return card(body, actions);
}

json text_teams_card(const std::string& text) {
  return card(json::array({text_block(truncate_utf8(text, kTeamsLineMax * 4))}), json::array());
}

json teams_message(const json& c) {
  return {{"type", "message"},
          {"attachments", json::array({{{"contentType", "application/vnd.microsoft.card.adaptive"}, {"contentUrl", nullptr}, {"content", c}}})}};
}

}  // namespace asc_webhookd::actions
