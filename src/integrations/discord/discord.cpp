// Discord: an embed through a channel webhook: what the integration is to the rest of the daemon —
// its configuration (keys, loading), its stored form, and what the
// registry (integrations/registry.hpp) lists of it. The requests are
// run.cpp's.
#include "asc_webhookd/integrations/discord/run.hpp"
#include "asc_webhookd/integrations/common/parts.hpp"

namespace asc_webhookd::config {

using nlohmann::json;
using integrations::opt_tpl;
using integrations::opt_tree;
using integrations::text;
using integrations::texts;
using integrations::tpl;
using integrations::tpl_map;
using integrations::tree;

void to_json(json& j, const DiscordAction& a) { j = {{"kind", "discord"}, {"connection", a.connection}, {"text", text(a.text)}}; }

void from_json(const json& j, DiscordAction& a) {
  a.connection = j.at("connection").get<std::string>();
  a.text = opt_tpl(j, "text");
}

}  // namespace asc_webhookd::config

namespace asc_webhookd::integrations::discord {
namespace {

using nlohmann::json;
using config::Action;
using config::Config;
using namespace config;

constexpr std::string_view kConnection[] = {"webhook_url"};
constexpr std::string_view kAction[] = {"connection", "text", "enrich"};
constexpr config::SectionKeys kSections[] = {
    {"connections.discord.*", kConnection},
    {"rules[].actions[].discord", kAction},
};

bool load_connection(YamlReader& r, const YAML::Node& n, const std::string& what, DiscordConnection& c) {
  if (!r.section_map(n, what, "connections.discord.*")) return false;
  if (auto v = YamlReader::field(n, "webhook_url")) {
    if (auto s = r.url_secret(*v, what + ".webhook_url")) {
      const auto& u = s->reveal();
      if (!r.unresolved(*s) && u.find("/webhooks/") == std::string::npos)
        r.error(*v, what + ".webhook_url must be a Discord webhook URL (https://discord.com/api/webhooks/ID/TOKEN)");
      c.webhook_url = *s;
    }
  } else {
    r.error(n, what + ".webhook_url is required (https://discord.com/api/webhooks/ID/TOKEN)");
  }
  return true;
}

void load_connections(YamlReader& r, const YAML::Node& named, Connections& out) {
  each_named(r, named, "connections.discord", out.discord, load_connection);
}

std::optional<Action> load_action(YamlReader& r, const YAML::Node& n, const Config& cfg, const std::string& rule) {
  return load_chat_action<DiscordAction>(r, n, cfg.connections.discord, "discord", rule);
}

bool builtin_shows_history(const config::Action& action) {
  const auto& a = std::get<config::DiscordAction>(action);
  return !a.text;  // the built-in embed shows review times
}


}  // namespace

const Integration& integration() {
  // simulate's answer to every request: ?wait=true: the message as created
  static const Simulation simulation = same_answer(200, json{{"id", "1"}, {"type", 0}, {"content", ""}}.dump());
  static const Integration i{"discord", action_index<DiscordAction>(), kSections, load_connections, load_action, stored_as<DiscordAction>,
                             text_holds<DiscordAction>, run_as<DiscordAction, actions::detail::run_discord>, builtin_shows_history, connection_target,
                             [](const Action&, const json&) { return simulation; }};
  return i;
}

}  // namespace asc_webhookd::integrations::discord
