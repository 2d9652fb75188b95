// rules: `when` matchers and the actions they run. References (webhook and
// connection names) are checked here, so a typo fails check-config rather
// than the first delivery.
#include "asc_webhookd/http/request_check.hpp"
#include "asc_webhookd/core/spelling.hpp"
#include "asc_webhookd/ingest/event_type.hpp"
#include "sections.hpp"

#include <algorithm>
#include <regex>
#include <set>

namespace asc_webhookd::config::detail {
namespace {

using Limits = GithubLimits;

bool is_static(const std::string& t) { return t.find("{{") == std::string::npos; }

std::string with_name(const std::string& rule, const char* what) { return "rule " + rule + ": " + what; }

// " (did you mean FAILED?)", or, with nothing close, a plain ending: the
// value is kept either way (Apple adds values).
std::string did_you_mean(const std::string& value, std::span<const std::string_view> documented) {
  if (auto m = asc_webhookd::closest_match(value, documented)) return " (did you mean " + *m + "?)";
  return " (it is accepted, in case Apple added it)";
}

void load_match(YamlReader& r, const YAML::Node& when, std::string_view key, const std::string& rule, Match& out) {
  auto v = YamlReader::field(when, key);
  if (!v) return;
  if (auto list = r.string_list(*v, "rule " + rule + ": when." + std::string(key))) {
    for (const auto& s : *list)
      if (s.empty()) r.error(*v, "rule " + rule + ": when." + std::string(key) + " values must not be empty");
    out.values = *list;
    if (list->empty()) r.error(*v, "rule " + rule + ": when." + std::string(key) + " is an empty list; it would match nothing");
  }
}

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
      if (!v->IsMap()) {
        r.error(*v, with_name(rule, "inputs must be a mapping of input names to values"));
      } else {
        for (auto it = v->begin(); it != v->end(); ++it) {
          auto key = r.nonempty_string(it->first, "inputs");
          auto val = r.template_text(it->second, "inputs value");
          if (key && val) a.inputs[*key] = *val;
        }
        if (a.inputs.size() > Limits::max_workflow_inputs)
          r.error(*v, with_name(rule, "GitHub accepts at most 25 workflow_dispatch inputs"));
      }
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
  if (auto v = YamlReader::field(n, "headers")) {
    if (!v->IsMap()) {
      r.error(*v, with_name(rule, "headers must be a mapping"));
    } else {
      for (auto it = v->begin(); it != v->end(); ++it) {
        auto key = r.nonempty_string(it->first, "headers");
        auto val = r.template_text(it->second, "header value");
        if (key && val) a.headers[*key] = *val;
      }
    }
  }
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

}  // namespace

void load_rules(YamlReader& r, const YAML::Node& n, const Config& cfg, std::vector<Rule>& out) {
  if (!n.IsSequence()) {
    r.error(n, "rules must be a list");
    return;
  }
  std::set<std::string> names;
  for (const auto& item : n) {
    if (!r.section_map(item, "rule", "rules[]")) continue;
    Rule rule;
    rule.pos = r.pos(item);
    if (auto v = YamlReader::field(item, "name")) {
      if (auto s = r.nonempty_string(*v, "rule name")) {
        if (!names.insert(*s).second) r.error(*v, "duplicate rule name \"" + *s + "\"");
        rule.name = *s;
      }
    } else {
      r.error(item, "a rule needs a name");
    }
    if (auto when = YamlReader::field(item, "when")) {
      if (r.section_map(*when, "rule " + rule.name + ": when", "rules[].when")) {
        load_match(r, *when, "webhook", rule.name, rule.when.webhook);
        load_match(r, *when, "event", rule.name, rule.when.event);
        load_match(r, *when, "from", rule.name, rule.when.from);
        load_match(r, *when, "to", rule.name, rule.when.to);
        for (const auto& w : rule.when.webhook.values)
          if (w != "*" && !cfg.find_webhook(w))
            r.error(*YamlReader::field(*when, "webhook"), "rule " + rule.name + ": no webhook named \"" + w + "\"");
        for (const auto& e : rule.when.event.values)
          if (e != "*" && !ingest::find_event_type(e))
            r.warning(*YamlReader::field(*when, "event"),
                      "rule " + rule.name + ": \"" + e + "\" is not an App Store Connect event type Apple documents" +
                          did_you_mean(e, ingest::known_event_type_names()));
        for (const char* key : {"from", "to"})
          for (const auto& st : (key[0] == 'f' ? rule.when.from : rule.when.to).values) {
            const auto states = ingest::documented_states();
            if (st != "*" && std::find(states.begin(), states.end(), st) == states.end())
              r.warning(*YamlReader::field(*when, key), "rule " + rule.name + ": when." + key + " \"" + st +
                                                            "\" is not a state Apple documents" + did_you_mean(st, states));
          }
      }
    }
    if (auto v = YamlReader::field(item, "stop"))
      if (auto b = r.boolean(*v, "stop")) rule.stop = *b;
    auto actions = YamlReader::field(item, "actions");
    if (!actions || !actions->IsSequence() || actions->size() == 0) {
      r.error(actions ? *actions : YAML::Node(item), "rule " + rule.name + " needs actions: a list of github, slack, jira or http actions");
    } else {
      for (const auto& a : *actions) {
        if (!a.IsMap() || a.size() != 1) {
          r.error(a, "rule " + rule.name + ": each action is a mapping with one key: github, slack, jira or http");
          continue;
        }
        auto it = a.begin();
        const std::string kind = it->first.Scalar();
        std::optional<Action> parsed;
        if (kind == "github") parsed = load_github(r, it->second, cfg, rule.name);
        else if (kind == "slack") parsed = load_slack(r, it->second, cfg, rule.name);
        else if (kind == "jira") parsed = load_jira(r, it->second, cfg, rule.name);
        else if (kind == "http") parsed = load_http(r, it->second, cfg, rule.name);
        else r.error(it->first, "rule " + rule.name + ": unknown action \"" + kind + "\" (expected github, slack, jira or http)");
        if (parsed) rule.actions.push_back(std::move(*parsed));
      }
    }
    out.push_back(std::move(rule));
  }
}

}  // namespace asc_webhookd::config::detail
