// Microsoft Teams: an Adaptive Card through a Workflows webhook: what the integration is to the rest of the daemon —
// its configuration (keys, loading), its stored form, and what the
// registry (integrations/registry.hpp) lists of it. The requests are
// run.cpp's.
#include "asc_webhookd/integrations/teams/run.hpp"
#include "asc_webhookd/integrations/common/loading.hpp"
#include "asc_webhookd/integrations/registry.hpp"

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

// The built-in message, or `text` instead.
std::optional<Action> load_action(YamlReader& r, const YAML::Node& n, const Config& cfg, const std::string& rule) {
  const auto& connections = cfg.connections.teams;
  constexpr const char* kind = "teams";
  if (!r.section_map(n, std::string(kind) + " action", std::string("rules[].actions[].") + kind)) return std::nullopt;
  TeamsAction a;
  a.pos = r.pos(n);
  a.enrich_required = enrich_required(r, n, rule);
  if (auto c = connection_ref(r, n, connections, kind, rule, std::nullopt)) a.connection = *c;
  if (auto v = YamlReader::field(n, "text")) {
    a.text = r.template_text(*v, "text");
    if (a.text && a.text->text.empty()) r.error(*v, with_name(rule, "text must not be empty (leave it out for the built-in message)"));
  }
  return Action(std::move(a));
}

Action from_stored(const json& j) { return j.get<TeamsAction>(); }

bool any_template(const Action& action, const TemplatePredicate& pred) {
  const auto& a = std::get<TeamsAction>(action);
  return holds(a.text, pred);
}

boost::asio::awaitable<actions::Outcome> run(const actions::Job& job, actions::Services& s) {
  co_return co_await actions::detail::run_teams(job, std::get<TeamsAction>(job.action), s);
}

bool builtin_shows_history(const config::Action& action) {
  const auto& a = std::get<config::TeamsAction>(action);
  return !a.text;  // the built-in card shows review times
}

std::string target(const json& a) {
  return "connection " + field(a, "connection");
}

Simulation simulate(const Action&, const json&) {
  Simulation s;
  s.answer = [](const outbound::ClientRequest&) -> std::optional<outbound::ClientResponse> {
    outbound::ClientResponse res;
    res.status = 202;  // a Workflows webhook accepts, and runs the flow later
    return res;
  };
  return s;
}

}  // namespace

const Integration& integration() {
  static const Integration i{"teams", action_index<TeamsAction>(), kSections, load_connections, load_action, from_stored,
                             any_template, run, builtin_shows_history, target, simulate};
  return i;
}

}  // namespace asc_webhookd::integrations::teams
