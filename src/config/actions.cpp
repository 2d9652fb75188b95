// Each action kind under rules[].actions[]: its keys, its connection (by
// name, checked here so a typo fails check-config rather than the first
// delivery) and what the service would refuse, said at load.
#include "asc_webhookd/http/request_check.hpp"
#include "sections.hpp"

#include <regex>
#include <set>

namespace asc_webhookd::config::detail {
namespace {

using Limits = GithubLimits;

bool is_static(const std::string& t) { return t.find("{{") == std::string::npos; }

std::string with_name(const std::string& rule, const char* what) { return "rule " + rule + ": " + what; }

// `enrich: required | optional` (default optional: after
// app_store_connect.enrich_attempts failed lookups the action runs without
// `instance`; required keeps retrying the lookup like any failure).
bool enrich_required(YamlReader& r, const YAML::Node& action, const std::string& rule) {
  auto v = YamlReader::field(action, "enrich");
  if (!v) return false;
  auto s = r.string(*v, "enrich");
  if (s && *s != "required" && *s != "optional") r.error(*v, with_name(rule, "enrich must be required or optional"));
  return s && *s == "required";
}

// A mapping of names to string templates (github inputs, http headers,
// gitlab variables).
std::map<std::string, Template> template_map(YamlReader& r, const YAML::Node& v, const std::string& rule, const std::string& what,
                                             const std::string& expected) {
  std::map<std::string, Template> out;
  if (!v.IsMap()) {
    r.error(v, with_name(rule, (what + " must be " + expected).c_str()));
    return out;
  }
  for (auto it = v.begin(); it != v.end(); ++it) {
    auto key = r.nonempty_string(it->first, what);
    if (!it->second.IsScalar()) {
      r.error(it->second, with_name(rule, (what + " values must be strings").c_str()));
      continue;
    }
    auto val = r.template_text(it->second, what + " value");
    if (key && val) out[*key] = *val;
  }
  return out;
}

template <class Map>
std::optional<std::string> connection_ref(YamlReader& r, const YAML::Node& action, const Map& known, const char* kind,
                                          const std::string& rule, std::optional<std::string> fallback) {
  std::string name;
  auto v = YamlReader::field(action, "connection");
  if (v) {
    auto s = r.nonempty_string(*v, "connection");
    if (!s) return std::nullopt;
    name = *s;
  } else if (fallback) {
    name = *fallback;
  } else {
    r.error(action, "rule " + rule + ": " + kind + " action needs a connection");
    return std::nullopt;
  }
  if (!known.count(name)) {
    r.error(v ? *v : action, "rule " + rule + ": no connections." + kind + "." + name + " is configured");
    return std::nullopt;
  }
  return name;
}

std::optional<Action> load_github(YamlReader& r, const YAML::Node& n, const Config& cfg, const std::string& rule) {
  if (!r.section_map(n, "github action", "rules[].actions[].github"))
    return std::nullopt;
  GithubAction a;
  a.pos = r.pos(n);
  a.enrich_required = enrich_required(r, n, rule);
  if (auto c = connection_ref(r, n, cfg.connections.github, "github", rule, "default")) a.connection = *c;
  static const std::regex repo_re("[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+");
  if (auto v = YamlReader::field(n, "repo")) {
    if (auto s = r.nonempty_string(*v, "repo")) {
      if (!std::regex_match(*s, repo_re)) r.error(*v, with_name(rule, "github repo must be owner/name"));
      a.repo = *s;
    }
  } else {
    r.error(n, with_name(rule, "github action needs repo: owner/name"));
  }
  auto workflow = YamlReader::field(n, "workflow");
  auto event_type = YamlReader::field(n, "event_type");
  if (workflow.has_value() == event_type.has_value())
    r.error(n, with_name(rule, "github action needs exactly one of workflow (workflow_dispatch) or event_type (repository_dispatch)"));
  if (workflow) {
    if (auto s = r.nonempty_string(*workflow, "workflow")) a.workflow = *s;
    if (auto v = YamlReader::field(n, "ref")) a.ref = r.template_text(*v, "ref");
    else r.error(n, with_name(rule, "a workflow_dispatch needs ref: (the branch or tag to run on)"));
    if (auto v = YamlReader::field(n, "inputs")) {
      a.inputs = template_map(r, *v, rule, "inputs", "a mapping of input names to values");
      if (a.inputs.size() > Limits::max_workflow_inputs)
        r.error(*v, with_name(rule, "GitHub accepts at most 25 workflow_dispatch inputs"));
    }
    if (auto v = YamlReader::field(n, "client_payload")) r.error(*v, with_name(rule, "client_payload goes with event_type, not workflow"));
  }
  if (event_type) {
    a.event_type = r.template_text(*event_type, "event_type");
    if (a.event_type && is_static(a.event_type->text) &&
        (a.event_type->text.empty() || a.event_type->text.size() > Limits::max_event_type))
      r.error(*event_type, with_name(rule, "event_type must be 1 to 100 characters (GitHub's limit)"));
    if (auto v = YamlReader::field(n, "client_payload")) {
      if (!v->IsMap()) r.error(*v, with_name(rule, "client_payload must be a mapping"));
      else if (v->size() > Limits::max_client_payload_keys)
        r.error(*v, with_name(rule, "client_payload may have at most 10 top-level keys (GitHub's limit)"));
      else a.client_payload = r.json(*v, "client_payload");
    }
    for (auto key : {"ref", "inputs"})
      if (auto v = YamlReader::field(n, key)) r.error(*v, with_name(rule, "ref and inputs go with workflow, not event_type"));
  }
  return Action(std::move(a));
}

std::optional<Action> load_slack(YamlReader& r, const YAML::Node& n, const Config& cfg, const std::string& rule) {
  if (!r.section_map(n, "slack action", "rules[].actions[].slack")) return std::nullopt;
  SlackAction a;
  a.pos = r.pos(n);
  a.enrich_required = enrich_required(r, n, rule);
  auto conn = connection_ref(r, n, cfg.connections.slack, "slack", rule, std::nullopt);
  if (conn) a.connection = *conn;
  const SlackConnection* c = conn ? &cfg.connections.slack.at(*conn) : nullptr;
  if (auto v = YamlReader::field(n, "channel")) a.channel = r.template_text(*v, "channel");
  if (auto v = YamlReader::field(n, "text")) a.text = r.template_text(*v, "text");
  if (auto v = YamlReader::field(n, "blocks")) {
    if (!v->IsSequence()) r.error(*v, with_name(rule, "blocks must be a list of Block Kit blocks"));
    else a.blocks = r.json(*v, "blocks");
  }
  if (auto v = YamlReader::field(n, "thread")) {
    if (auto s = r.string(*v, "thread")) {
      if (*s == "per_instance") a.thread_per_instance = true;
      else if (*s != "none") r.error(*v, with_name(rule, "thread must be per_instance or none"));
    }
  }
  if (auto v = YamlReader::field(n, "update_parent"))
    if (auto b = r.boolean(*v, "update_parent")) a.update_parent = *b;
  if (c && c->bot_token && !a.channel) r.error(n, with_name(rule, "a slack action on a bot connection needs channel:"));
  if (c && c->webhook_url && (a.thread_per_instance || a.update_parent))
    r.error(n, with_name(rule, "threads need a bot connection (bot_token); an incoming webhook cannot reply in a thread"));
  if (a.update_parent && !a.thread_per_instance)
    r.error(n, with_name(rule, "update_parent needs thread: per_instance"));
  return Action(std::move(a));
}

std::optional<Action> load_jira(YamlReader& r, const YAML::Node& n, const Config& cfg, const std::string& rule) {
  if (!r.section_map(n, "jira action", "rules[].actions[].jira")) return std::nullopt;
  JiraAction a;
  a.pos = r.pos(n);
  a.enrich_required = enrich_required(r, n, rule);
  if (auto c = connection_ref(r, n, cfg.connections.jira, "jira", rule, "default")) a.connection = *c;
  if (auto v = YamlReader::field(n, "jql")) {
    if (auto t = r.template_text(*v, "jql")) {
      if (t->text.empty()) r.error(*v, with_name(rule, "jql must not be empty"));
      a.jql = *t;
    }
  } else {
    r.error(n, with_name(rule, "jira action needs jql:"));
  }
  if (auto v = YamlReader::field(n, "transition")) a.transition = r.template_text(*v, "transition");
  if (auto v = YamlReader::field(n, "comment")) a.comment = r.template_text(*v, "comment");
  if (auto v = YamlReader::field(n, "release_version")) {
    if (r.section_map(*v, "release_version", "rules[].actions[].jira.release_version")) {
      auto p = YamlReader::field(*v, "project");
      auto nm = YamlReader::field(*v, "name");
      if (!p || !nm) r.error(*v, with_name(rule, "release_version needs project and name"));
      else {
        auto pt = r.template_text(*p, "release_version.project");
        auto nt = r.template_text(*nm, "release_version.name");
        if (pt && nt) a.release_version = JiraReleaseVersion{*pt, *nt};
      }
    }
  }
  return Action(std::move(a));
}

std::optional<Action> load_http(YamlReader& r, const YAML::Node& n, const Config& cfg, const std::string& rule) {
  if (!r.section_map(n, "http action", "rules[].actions[].http")) return std::nullopt;
  HttpAction a;
  a.pos = r.pos(n);
  a.enrich_required = enrich_required(r, n, rule);
  bool has_conn = YamlReader::field(n, "connection").has_value();
  bool has_url = YamlReader::field(n, "url").has_value();
  if (has_conn == has_url) r.error(n, with_name(rule, "http action needs exactly one of connection or url"));
  if (has_conn) a.connection = connection_ref(r, n, cfg.connections.http, "http", rule, std::nullopt);
  if (auto v = YamlReader::field(n, "url")) {
    a.url = r.template_text(*v, "url");
    if (a.url && a.url->text.rfind("http://", 0) != 0 && a.url->text.rfind("https://", 0) != 0)
      r.error(*v, with_name(rule, "http url must be an http:// or https:// URL"));
    else if (a.url && http::url_origin(a.url->text).find("{{") != std::string::npos)
      r.error(*v, with_name(rule, "http url: write the scheme and host out; only the path and query may hold "
                                  "templates (their values are percent-encoded)"));
  }
  if (auto v = YamlReader::field(n, "method")) {
    if (auto s = r.string(*v, "method")) {
      static const std::set<std::string> methods{"GET", "POST", "PUT", "PATCH", "DELETE"};
      if (!methods.count(*s)) r.error(*v, with_name(rule, "method must be GET, POST, PUT, PATCH or DELETE"));
      a.method = *s;
    }
  }
  if (auto v = YamlReader::field(n, "headers")) a.headers = template_map(r, *v, rule, "headers", "a mapping");
  if (auto v = YamlReader::field(n, "body")) a.body = r.template_text(*v, "body");
  if (auto v = YamlReader::field(n, "body_escape")) {
    if (auto s = r.string(*v, "body_escape")) {
      if (*s != "json" && *s != "none") r.error(*v, with_name(rule, "body_escape must be json or none"));
      else if (!a.body) r.error(*v, with_name(rule, "body_escape applies to a templated body: add body"));
      a.body_json_escaped = *s == "json";
    }
  }
  return Action(std::move(a));
}

// teams / discord: the built-in card or embed, or `text` instead.
template <class A, class Map>
std::optional<Action> load_chat(YamlReader& r, const YAML::Node& n, const Map& connections, const char* kind,
                                const std::string& rule) {
  if (!r.section_map(n, std::string(kind) + " action", std::string("rules[].actions[].") + kind)) return std::nullopt;
  A a;
  a.pos = r.pos(n);
  a.enrich_required = enrich_required(r, n, rule);
  if (auto c = connection_ref(r, n, connections, kind, rule, std::nullopt)) a.connection = *c;
  if (auto v = YamlReader::field(n, "text")) {
    a.text = r.template_text(*v, "text");
    if (a.text && a.text->text.empty()) r.error(*v, with_name(rule, "text must not be empty (leave it out for the built-in message)"));
  }
  return Action(std::move(a));
}

std::optional<Action> load_teams(YamlReader& r, const YAML::Node& n, const Config& cfg, const std::string& rule) {
  return load_chat<TeamsAction>(r, n, cfg.connections.teams, "teams", rule);
}

std::optional<Action> load_discord(YamlReader& r, const YAML::Node& n, const Config& cfg, const std::string& rule) {
  return load_chat<DiscordAction>(r, n, cfg.connections.discord, "discord", rule);
}

// A pipeline trigger (outbound-apis.md §9.2): ref, and variables that GitLab
// takes only as strings.
std::optional<Action> load_gitlab(YamlReader& r, const YAML::Node& n, const Config& cfg, const std::string& rule) {
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

}  // namespace

std::optional<Action> load_action(YamlReader& r, const YAML::Node& key, const YAML::Node& n, const Config& cfg,
                                  const std::string& rule) {
  const std::string kind = key.Scalar();
  if (kind == "github") return load_github(r, n, cfg, rule);
  if (kind == "slack") return load_slack(r, n, cfg, rule);
  if (kind == "jira") return load_jira(r, n, cfg, rule);
  if (kind == "http") return load_http(r, n, cfg, rule);
  if (kind == "teams") return load_teams(r, n, cfg, rule);
  if (kind == "discord") return load_discord(r, n, cfg, rule);
  if (kind == "gitlab") return load_gitlab(r, n, cfg, rule);
  r.error(key, "rule " + rule + ": unknown action \"" + kind + "\" (expected " + kActionKinds + ")");
  return std::nullopt;
}

}  // namespace asc_webhookd::config::detail
