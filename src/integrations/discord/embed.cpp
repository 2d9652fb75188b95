// The built-in Discord message: the Notice (common/notice.hpp) as an
// embed, within Discord's limits.
#include "asc_webhookd/integrations/discord/embed.hpp"

#include "asc_webhookd/integrations/common/notice.hpp"

namespace asc_webhookd::actions {

using nlohmann::json;

namespace {

// Discord's embed limits: title 256, description 4096, 25 fields of name
// 256 / value 1024, footer 2048, content 2000, 6000 in all.
constexpr std::size_t kDiscordTitle = 256, kDiscordDescription = 3500, kDiscordFieldName = 256,
                      kDiscordFieldValue = 1024, kDiscordFooter = 500, kDiscordContent = 2000,
                      kDiscordTotal = 6000;

int discord_color(Tone t) {
  switch (t) {
    case Tone::good: return 0x2ECC71;
    case Tone::bad: return 0xE74C3C;
    case Tone::warning: return 0xE67E22;
    case Tone::info: break;
  }
  return 0x3498DB;
}

}  // namespace

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
  if (!fields.empty()) embed["fields"] = fields;
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
