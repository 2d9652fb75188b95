// GitLab: a pipeline trigger with variables: what the integration is to the rest of the daemon —
// its configuration (keys, loading), its stored form, and what the
// registry (integrations/registry.hpp) lists of it. The requests are
// run.cpp's.
#include "asc_webhookd/integrations/gitlab/run.hpp"
#include "asc_webhookd/integrations/common/parts.hpp"
#include <regex>

namespace asc_webhookd::config {

using nlohmann::json;
using integrations::opt_tpl;
using integrations::opt_tree;
using integrations::text;
using integrations::texts;
using integrations::tpl;
using integrations::tpl_map;
using integrations::tree;

void to_json(json& j, const GitlabAction& a) {
  j = {{"kind", "gitlab"}, {"connection", a.connection}, {"project", a.project}, {"ref", text(a.ref)},
       {"variables", texts(a.variables)}};
}

void from_json(const json& j, GitlabAction& a) {
  a.connection = j.at("connection").get<std::string>();
  a.project = j.at("project").get<std::string>();
  a.ref = tpl(j, "ref");
  a.variables = tpl_map(j, "variables");
}

}  // namespace asc_webhookd::config

namespace asc_webhookd::integrations::gitlab {
namespace {

using nlohmann::json;
using config::Action;
using config::Config;
using namespace config;

constexpr std::string_view kConnection[] = {"trigger_token", "api_url"};
constexpr std::string_view kAction[] = {"connection", "project", "ref", "variables", "enrich"};
constexpr config::SectionKeys kSections[] = {
    {"connections.gitlab.*", kConnection},
    {"rules[].actions[].gitlab", kAction},
};

bool load_connection(YamlReader& r, const YAML::Node& n, const std::string& what, GitlabConnection& c) {
  if (!r.section_map(n, what, "connections.gitlab.*")) return false;
  if (auto v = YamlReader::field(n, "trigger_token")) {
    if (auto s = r.secret(*v, what + ".trigger_token")) c.trigger_token = *s;
  } else {
    r.error(n, what + ".trigger_token is required (Settings → CI/CD → Pipeline trigger tokens)");
  }
  if (auto v = YamlReader::field(n, "api_url"))
    if (auto s = r.url(*v, what + ".api_url")) c.api_url = *s;
  return true;
}

void load_connections(YamlReader& r, const YAML::Node& named, Connections& out) {
  each_named(r, named, "connections.gitlab", out.gitlab, load_connection);
}

// A pipeline trigger (GitLab's trigger API): ref, and variables that GitLab
// takes only as strings.
std::optional<Action> load_action(YamlReader& r, const YAML::Node& n, const Config& cfg, const std::string& rule) {
  if (!r.section_map(n, "gitlab action", "rules[].actions[].gitlab")) return std::nullopt;
  GitlabAction a;
  a.pos = r.pos(n);
  a.enrich_required = enrich_required(r, n, rule);
  if (auto c = connection_ref(r, n, cfg.connections.gitlab, "gitlab", rule, "default")) a.connection = *c;
  if (auto v = YamlReader::field(n, "project")) {
    if (auto s = r.nonempty_string(*v, "project")) {
      static const std::regex project_re("[0-9]+|[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+");
      if (!std::regex_match(*s, project_re)) r.error(*v, with_name(rule, "gitlab project must be its numeric id or its path (group/name)"));
      a.project = *s;
    }
  } else {
    r.error(n, with_name(rule, "gitlab action needs project: (its id or group/name)"));
  }
  if (auto v = YamlReader::field(n, "ref")) {
    if (auto t = r.template_text(*v, "ref")) {
      if (t->text.empty()) r.error(*v, with_name(rule, "ref must not be empty"));
      a.ref = *t;
    }
  } else {
    r.error(n, with_name(rule, "gitlab action needs ref: (the branch or tag the pipeline runs on)"));
  }
  if (auto v = YamlReader::field(n, "variables"))
    a.variables = template_map(r, *v, rule, "variables", "a mapping of names to strings (GitLab takes only strings)");
  return Action(std::move(a));
}

bool any_template(const Action& action, const TemplatePredicate& pred) {
  const auto& a = std::get<GitlabAction>(action);
  return pred(a.ref.text) || holds(a.variables, pred);
}

std::string target(const json& a) {
  return field(a, "project") + " " + field(a, "ref");
}


}  // namespace

const Integration& integration() {
  // simulate's answer to every request: the pipeline created
  static const Simulation simulation = same_answer(201, json{{"id", 1}, {"status", "created"}, {"web_url", "https://gitlab.example/<simulated pipeline>"}}.dump());
  static const Integration i{"gitlab", action_index<GitlabAction>(), kSections, load_connections, load_action, stored_as<GitlabAction>,
                             any_template, run_as<GitlabAction, actions::detail::run_gitlab>, never_shows_history, target,
                             [](const Action&, const json&) { return simulation; }};
  return i;
}

}  // namespace asc_webhookd::integrations::gitlab
