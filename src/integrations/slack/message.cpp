// The Notice as Slack Block Kit (Slack's Block Kit reference).
#include "asc_webhookd/integrations/slack/message.hpp"

namespace asc_webhookd::actions {

using nlohmann::json;

namespace {

// Block Kit limits (Slack's Block Kit reference).
constexpr std::size_t kHeaderMax = 150;
constexpr std::size_t kFieldMax = 2000;
constexpr std::size_t kSectionMax = 3000;
constexpr std::size_t kFieldsMax = 10;

json mrkdwn(const std::string& text, std::size_t max) { return {{"type", "mrkdwn"}, {"text", truncate_utf8(text, max)}}; }

std::string line_text(const NoticeLine& l) {
  if (l.code) return "```" + l.text + "```";
  const std::string text = l.url.empty() ? l.text : "<" + l.url + "|" + l.text + ">";
  return l.icon.empty() ? text : l.icon + " " + text;
}

}  // namespace

json builtin_slack_message(const json& c) {
  const Notice n = build_notice(c);
  json blocks = json::array();
  blocks.push_back({{"type", "header"},
                    {"text", {{"type", "plain_text"}, {"text", truncate_utf8(n.emoji + " " + n.subject + " — " + n.title, kHeaderMax)}, {"emoji", true}}}});
  json fields = json::array();
  for (const auto& f : n.facts)
    if (fields.size() < kFieldsMax)
      fields.push_back(mrkdwn("*" + f.name + ":*\n" + f.value + (f.code.empty() ? "" : " `" + f.code + "`"), kFieldMax));
  if (!fields.empty()) blocks.push_back({{"type", "section"}, {"fields", fields}});  // Slack refuses an empty list

  std::string details;
  for (const auto& l : n.details) details += line_text(l) + "\n";
  if (!n.link.empty()) details += "<" + n.link + "|Open in App Store Connect>\n";
  if (!details.empty()) {
    details.pop_back();
    blocks.push_back({{"type", "section"}, {"text", mrkdwn(details, kSectionMax)}});
  }
  std::string context = "ASC event `" + n.event_id + "` · " + n.type;
  if (!n.timestamp.empty()) context += " · " + n.timestamp;
  if (!n.rule.empty()) context += " · rule `" + n.rule + "`";
  blocks.push_back({{"type", "context"}, {"elements", json::array({mrkdwn(context, kSectionMax)})}});
  return {{"text", n.summary}, {"blocks", blocks}};
}

}  // namespace asc_webhookd::actions
