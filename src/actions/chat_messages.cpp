// Teams Adaptive Cards and Discord embeds from a Notice.
#include "asc_webhookd/actions/chat_messages.hpp"

#include "asc_webhookd/actions/notice.hpp"

namespace asc_webhookd::actions {

using nlohmann::json;

namespace {

// Teams: a message is at most 28 KB (§7.5, ~21 KB seen in practice); the
// crash log and details are cut well before.
constexpr std::size_t kTeamsLineMax = 2000;
// Discord embed limits (§8.2): title 256, description 4096, 25 fields of
// name 256 / value 1024, footer 2048, content 2000, 6000 in all.
constexpr std::size_t kDiscordTitle = 256, kDiscordDescription = 3500, kDiscordFieldName = 256,
                      kDiscordFieldValue = 1024, kDiscordFooter = 500, kDiscordContent = 2000,
                      kDiscordTotal = 6000;

// Markdown both services read: [text](url) links, ``` fences.
std::string markdown_line(const NoticeLine& l, bool fences) {
  if (l.code) return fences ? "```\n" + l.text + "\n```" : l.text;
  const std::string text = l.url.empty() ? l.text : "[" + l.text + "](" + l.url + ")";
  return l.icon.empty() ? text : l.icon + " " + text;
}

std::string context_line(const Notice& n) {
  std::string s = "ASC event " + n.event_id + " · " + n.type;
  if (!n.timestamp.empty()) s += " · " + n.timestamp;
  if (!n.rule.empty()) s += " · rule " + n.rule;
  return s;
}

int discord_color(Tone t) {
  switch (t) {
    case Tone::good: return 0x2ECC71;
    case Tone::bad: return 0xE74C3C;
    case Tone::warning: return 0xE67E22;
    case Tone::info: break;
  }
  return 0x3498DB;
}

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
  body.push_back({{"type", "FactSet"}, {"facts", facts}});
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

json builtin_discord_message(const json& context) {
  const Notice n = build_notice(context);
  json embed = {{"title", truncate_utf8(n.emoji + " " + n.subject + " — " + n.title, kDiscordTitle)}, {"color", discord_color(n.tone)}};
  std::string description;
  for (const auto& l : n.details) description += markdown_line(l, true) + "\n";
  if (!description.empty()) embed["description"] = truncate_utf8(description.substr(0, description.size() - 1), kDiscordDescription);
  json fields = json::array();
  for (const auto& f : n.facts)
    fields.push_back({{"name", truncate_utf8(f.name, kDiscordFieldName)},
                      {"value", truncate_utf8(f.value + (f.code.empty() ? "" : " `" + f.code + "`"), kDiscordFieldValue)},
                      {"inline", f.name != "ASC resource"}});
  embed["fields"] = fields;
  if (!n.link.empty()) embed["url"] = n.link;
  embed["footer"] = {{"text", truncate_utf8(context_line(n), kDiscordFooter)}};
  // Discord refuses a message whose embeds total over 6000 characters
  // (bytes counted here: never fewer than characters): the description gives way.
  std::size_t total = embed["title"].get<std::string>().size() + embed["footer"]["text"].get<std::string>().size();
  for (const auto& f : fields) total += f["name"].get<std::string>().size() + f["value"].get<std::string>().size();
  if (embed.contains("description") && total + embed["description"].get<std::string>().size() > kDiscordTotal)
    embed["description"] = truncate_utf8(embed["description"].get<std::string>(), kDiscordTotal > total ? kDiscordTotal - total : 0);
  return {{"username", "App Store Connect"}, {"embeds", json::array({embed})}, {"allowed_mentions", {{"parse", json::array()}}}};
}

json text_discord_message(const std::string& text) {
  return {{"username", "App Store Connect"}, {"content", truncate_utf8(text, kDiscordContent)}, {"allowed_mentions", {{"parse", json::array()}}}};
}

}  // namespace asc_webhookd::actions
