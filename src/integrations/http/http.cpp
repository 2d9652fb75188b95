// A plain HTTP request: a URL or a named connection, templated headers and body: what the integration is to the rest of the daemon —
// its configuration (keys, loading), its stored form, and what the
// registry (integrations/registry.hpp) lists of it. The requests are
// run.cpp's.
#include "asc_webhookd/integrations/http/run.hpp"
#include "asc_webhookd/integrations/common/parts.hpp"
#include "asc_webhookd/outbound/request_check.hpp"

#include <set>

namespace asc_webhookd::config {

using nlohmann::json;
using integrations::opt_tpl;
using integrations::opt_tree;
using integrations::text;
using integrations::texts;
using integrations::tpl;
using integrations::tpl_map;
using integrations::tree;

void to_json(json& j, const HttpAction& a) {
  j = {{"kind", "http"}, {"connection", a.connection ? json(*a.connection) : json(nullptr)},
       {"url", text(a.url)}, {"method", a.method}, {"headers", texts(a.headers)}, {"body", text(a.body)},
       {"body_escape", a.body_json_escaped ? "json" : "none"}};
}

void from_json(const json& j, HttpAction& a) {
  if (!j.at("connection").is_null()) a.connection = j.at("connection").get<std::string>();
  a.url = opt_tpl(j, "url");
  a.method = j.at("method").get<std::string>();
  a.headers = tpl_map(j, "headers");
  a.body = opt_tpl(j, "body");
  a.body_json_escaped = j.value("body_escape", std::string("none")) == "json";  // absent in jobs stored before it
}

}  // namespace asc_webhookd::config

namespace asc_webhookd::integrations::http {
namespace {

using nlohmann::json;
using config::Action;
using config::Config;
using namespace config;

constexpr std::string_view kConnection[] = {"url", "headers"};
constexpr std::string_view kAction[] = {"connection", "url", "method", "headers", "body", "body_escape", "enrich"};
constexpr config::SectionKeys kSections[] = {
    {"connections.http.*", kConnection},
    {"rules[].actions[].http", kAction},
};

bool load_connection(YamlReader& r, const YAML::Node& n, const std::string& what, HttpConnection& c) {
  if (!r.section_map(n, what, "connections.http.*")) return false;
  if (auto v = YamlReader::field(n, "url")) {
    if (auto s = r.secret(*v, what + ".url", /*credential=*/false)) {
      const auto& u = s->reveal();
      if (!r.unresolved(*s) && u.rfind("http://", 0) != 0 && u.rfind("https://", 0) != 0)
        r.error(*v, what + ".url must be an http:// or https:// URL");
      c.url = *s;
    }
  } else {
    r.error(n, what + ".url is required");
  }
  if (auto v = YamlReader::field(n, "headers")) {
    if (!v->IsMap()) {
      r.error(*v, what + ".headers must be a mapping of header names to values");
    } else {
      for (auto it = v->begin(); it != v->end(); ++it) {
        auto name = r.nonempty_string(it->first, what + ".headers");
        auto value = r.secret(it->second, what + ".headers." + (name ? *name : ""), /*credential=*/false);
        if (name && value) c.headers.push_back({*name, *value});
      }
    }
  }
  return true;
}

void load_connections(YamlReader& r, const YAML::Node& named, Connections& out) {
  each_named(r, named, "connections.http", out.http, load_connection);
}

std::optional<Action> load_action(YamlReader& r, const YAML::Node& n, const Config& cfg, const std::string& rule) {
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
    else if (a.url && outbound::url_origin(a.url->text).find("{{") != std::string::npos)
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

bool any_template(const Action& action, const TemplatePredicate& pred) {
  const auto& a = std::get<HttpAction>(action);
  return holds(a.url, pred) || holds(a.headers, pred) || holds(a.body, pred);
}

std::string target(const json& a) {
  return field(a, "url").empty() ? "connection " + field(a, "connection") : field(a, "url");
}

}  // namespace

const Integration& integration() {
  static const Integration i{"http", action_index<HttpAction>(), kSections, load_connections, load_action, stored_as<HttpAction>,
                             any_template, run_as<HttpAction, actions::detail::run_http>, never_shows_history, target,
                             [](const Action&, const json&) { return Simulation{}; }};  // simulate: a plain 200 "ok"
  return i;
}

}  // namespace asc_webhookd::integrations::http
