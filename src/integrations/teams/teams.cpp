// Microsoft Teams: an Adaptive Card through a Workflows webhook: what the integration is to the rest of the daemon —
// its configuration (keys, loading), its stored form, and what the
// registry (integrations/registry.hpp) lists of it. The requests are
// run.cpp's.
#include "asc_webhookd/integrations/teams/run.hpp"
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

void to_json(json& j, const TeamsAction& a) { j = {{"kind", "teams"}, {"connection", a.connection}, {"text", text(a.text)}}; }

void from_json(const json& j, TeamsAction& a) {
  a.connection = j.at("connection").get<std::string>();
  a.text = opt_tpl(j, "text");
}

}  // namespace asc_webhookd::config

namespace asc_webhookd::integrations::teams {
namespace {

using nlohmann::json;
using config::Action;
using config::Config;
using namespace config;

constexpr std::string_view kConnection[] = {"webhook_url", "envelope"};
constexpr std::string_view kAction[] = {"connection", "text", "enrich"};
constexpr config::SectionKeys kSections[] = {
    {"connections.teams.*", kConnection},
    {"rules[].actions[].teams", kAction},
};

bool load_connection(YamlReader& r, const YAML::Node& n, const std::string& what, TeamsConnection& c) {
  if (!r.section_map(n, what, "connections.teams.*")) return false;
  if (auto v = YamlReader::field(n, "webhook_url")) {
    if (auto s = r.url_secret(*v, what + ".webhook_url")) {
      c.webhook_url = *s;
      // Office 365 connector URLs are retired (Microsoft retired them in 2025).
      const auto& u = s->reveal();
      if (!r.unresolved(*s) && (u.find(".webhook.office.com/") != std::string::npos || u.find("outlook.office.com/webhook") != std::string::npos))
        r.warning(*v, what + ".webhook_url is an Office 365 connector URL, which Microsoft retired: make a Workflows "
                             "webhook (\"When a Teams webhook request is received\") and use its URL");
    }
  } else {
    r.error(n, what + ".webhook_url is required (the Workflows webhook's URL)");
  }
  if (auto v = YamlReader::field(n, "envelope")) {
    if (auto s = r.string(*v, what + ".envelope")) {
      if (*s != "message" && *s != "card") r.error(*v, what + ".envelope must be message or card");
      c.bare_card = *s == "card";
    }
  }
  return true;
}

void load_connections(YamlReader& r, const YAML::Node& named, Connections& out) {
  each_named(r, named, "connections.teams", out.teams, load_connection);
}

std::optional<Action> load_action(YamlReader& r, const YAML::Node& n, const Config& cfg, const std::string& rule) {
  return load_chat_action<TeamsAction>(r, n, cfg.connections.teams, "teams", rule);
}

bool builtin_shows_history(const config::Action& action) {
  const auto& a = std::get<config::TeamsAction>(action);
  return !a.text;  // the built-in card shows review times
}


}  // namespace

const Integration& integration() {
  // simulate's answer to every request: a Workflows webhook accepts, and runs the flow later
  static const Simulation simulation = same_answer(202);
  static const Integration i{"teams", action_index<TeamsAction>(), kSections, load_connections, load_action, stored_as<TeamsAction>,
                             text_holds<TeamsAction>, run_as<TeamsAction, actions::detail::run_teams>, builtin_shows_history, connection_target,
                             [](const Action&, const json&) { return simulation; }};
  return i;
}

}  // namespace asc_webhookd::integrations::teams
