// Jira: issues found by JQL transitioned and commented, a version released: what the integration is to the rest of the daemon —
// its configuration (keys, loading), its stored form, and what the
// registry (integrations/registry.hpp) lists of it. The requests are
// run.cpp's.
#include "asc_webhookd/integrations/jira/run.hpp"
#include "asc_webhookd/integrations/common/parts.hpp"
#include "asc_webhookd/rules/template.hpp"

namespace asc_webhookd::config {

using nlohmann::json;
using integrations::opt_tpl;
using integrations::opt_tree;
using integrations::text;
using integrations::texts;
using integrations::tpl;
using integrations::tpl_map;
using integrations::tree;

void to_json(json& j, const JiraAction& a) {
  json rv = nullptr;
  if (a.release_version) rv = {{"project", a.release_version->project.text}, {"name", a.release_version->name.text}};
  j = {{"kind", "jira"}, {"connection", a.connection}, {"jql", text(a.jql)}, {"transition", text(a.transition)},
       {"comment", text(a.comment)}, {"release_version", rv}};
  if (a.create)
    j["create"] = {{"project", a.create->project.text}, {"issue_type", a.create->issue_type.text},
                   {"summary", a.create->summary.text}, {"description", text(a.create->description)},
                   {"labels", a.create->labels}};
  if (!a.attach.empty()) j["attach"] = a.attach;
}

void from_json(const json& j, JiraAction& a) {
  a.connection = j.at("connection").get<std::string>();
  a.jql = tpl(j, "jql");
  a.transition = opt_tpl(j, "transition");
  a.comment = opt_tpl(j, "comment");
  if (auto rv = j.find("release_version"); rv != j.end() && !rv->is_null())
    a.release_version = JiraReleaseVersion{tpl(*rv, "project"), tpl(*rv, "name")};
  // Jobs stored before create/attach existed have neither member.
  if (auto c = j.find("create"); c != j.end() && c->is_object())
    a.create = JiraCreate{tpl(*c, "project"), tpl(*c, "issue_type"), tpl(*c, "summary"), opt_tpl(*c, "description"),
                          c->value("labels", std::vector<std::string>{})};
  if (auto at = j.find("attach"); at != j.end() && at->is_array()) a.attach = at->get<std::vector<std::string>>();
}

}  // namespace asc_webhookd::config

namespace asc_webhookd::integrations::jira {
namespace {

using nlohmann::json;
using config::Action;
using config::Config;
using namespace config;

constexpr const char* kIssue = "ISSUE-1";

constexpr std::string_view kConnection[] = {"base_url", "email", "api_token", "bearer_token", "flavor"};
constexpr std::string_view kAction[] = {"connection", "jql",  "transition", "comment",
                                        "release_version", "create", "attach",     "enrich"};
constexpr std::string_view kReleaseVersion[] = {"project", "name"};
constexpr std::string_view kCreate[] = {"project", "issue_type", "summary", "description", "labels"};
constexpr config::SectionKeys kSections[] = {
    {"connections.jira.*", kConnection},
    {"rules[].actions[].jira", kAction},
    {"rules[].actions[].jira.release_version", kReleaseVersion},
    {"rules[].actions[].jira.create", kCreate},
};

bool load_connection(YamlReader& r, const YAML::Node& n, const std::string& what, JiraConnection& c) {
  if (!r.section_map(n, what, "connections.jira.*")) return false;
  if (auto v = YamlReader::field(n, "base_url")) {
    if (auto s = r.url(*v, what + ".base_url")) c.base_url = *s;
  } else {
    r.error(n, what + ".base_url is required");
  }
  if (auto v = YamlReader::field(n, "email"))
    if (auto s = r.nonempty_string(*v, what + ".email")) c.email = *s;
  if (auto v = YamlReader::field(n, "api_token"))
    if (auto s = r.secret(*v, what + ".api_token")) c.api_token = *s;
  if (auto v = YamlReader::field(n, "bearer_token"))
    if (auto s = r.secret(*v, what + ".bearer_token")) c.bearer_token = *s;
  bool basic = YamlReader::field(n, "email") || YamlReader::field(n, "api_token");
  bool bearer = YamlReader::field(n, "bearer_token").has_value();
  if (basic && bearer) r.error(n, what + ": use email + api_token (Cloud) or bearer_token (Data Center), not both");
  else if (!basic && !bearer) r.error(n, what + " needs email + api_token (Cloud) or bearer_token (Data Center)");
  else if (basic && (!YamlReader::field(n, "email") || !YamlReader::field(n, "api_token")))
    r.error(n, what + ": email and api_token go together");
  if (auto v = YamlReader::field(n, "flavor")) {
    if (auto s = r.string(*v, what + ".flavor")) {
      if (*s == "auto") c.flavor = JiraFlavor::automatic;
      else if (*s == "cloud") c.flavor = JiraFlavor::cloud;
      else if (*s == "datacenter") c.flavor = JiraFlavor::datacenter;
      else r.error(*v, what + ".flavor must be auto, cloud or datacenter");
    }
  }
  return true;
}

void load_connections(YamlReader& r, const YAML::Node& named, Connections& out) {
  each_named(r, named, "connections.jira", out.jira, load_connection);
}

void load_create(YamlReader& r, const YAML::Node& n, const std::string& rule, JiraAction& a) {
  if (!r.section_map(n, "jira create", "rules[].actions[].jira.create")) return;
  JiraCreate c;
  auto required = [&](const char* key, Template& into) {
    if (auto v = YamlReader::field(n, key)) {
      if (auto t = r.template_text(*v, std::string("create.") + key)) {
        if (t->text.empty()) r.error(*v, with_name(rule, std::string("jira create.") + key + " must not be empty"));
        into = *t;
      }
    } else {
      r.error(n, with_name(rule, std::string("jira create needs ") + key + ":"));
    }
  };
  required("project", c.project);
  required("issue_type", c.issue_type);
  required("summary", c.summary);
  if (auto v = YamlReader::field(n, "description")) c.description = r.template_text(*v, "create.description");
  if (auto v = YamlReader::field(n, "labels")) {
    if (auto list = r.string_list(*v, "create.labels"))
      for (const auto& label : *list) {
        // Jira refuses a label with a space, or over 255 characters.
        if (label.empty() || label.find_first_of(" \t\r\n") != std::string::npos || label.size() > 255)
          r.error(*v, with_name(rule, "jira label \"" + label.substr(0, 64) + "\" must be 1 to 255 characters without spaces"));
        else c.labels.push_back(label);
      }
  }
  a.create = std::move(c);
}

std::optional<Action> load_action(YamlReader& r, const YAML::Node& n, const Config& cfg, const std::string& rule) {
  if (!r.section_map(n, "jira action", "rules[].actions[].jira")) return std::nullopt;
  JiraAction a;
  a.pos = r.pos(n);
  a.enrich_required = enrich_required(r, n, rule);
  if (auto c = connection_ref(r, n, cfg.connections.jira, "jira", rule, "default")) a.connection = *c;
  if (auto create = YamlReader::field(n, "create")) {
    load_create(r, *create, rule, a);
    for (auto key : {"jql", "transition", "comment", "release_version"})
      if (auto other = YamlReader::field(n, key))
        r.error(*other, with_name(rule, std::string("jira create: makes an issue; ") + key + ": goes with jql:, not with create:"));
  } else if (auto v = YamlReader::field(n, "jql")) {
    if (auto t = r.template_text(*v, "jql")) {
      if (t->text.empty()) r.error(*v, with_name(rule, "jql must not be empty"));
      a.jql = *t;
    }
  } else {
    r.error(n, with_name(rule, "jira action needs jql: (issues to move) or create: (an issue to make)"));
  }
  if (auto v = YamlReader::field(n, "attach")) {
    a.attach = attach_kinds(r, *v, rule);
    if (!YamlReader::field(n, "create")) r.error(*v, with_name(rule, "jira attach: goes with create: (the files go on the issue it makes)"));
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

bool any_template(const Action& action, const TemplatePredicate& pred) {
  const auto& a = std::get<JiraAction>(action);
  if (a.create &&
      (pred(a.create->project.text) || pred(a.create->issue_type.text) || pred(a.create->summary.text) ||
       holds(a.create->description, pred)))
    return true;
  return pred(a.jql.text) || holds(a.transition, pred) || holds(a.comment, pred) ||
         (a.release_version && (pred(a.release_version->project.text) || pred(a.release_version->name.text)));
}

std::string target(const json& a) {
  if (auto c = a.find("create"); c != a.end() && c->is_object())
    return "connection " + field(a, "connection") + ": create in " + field(*c, "project");
  return "connection " + field(a, "connection") + ": " + field(a, "jql");
}

Simulation simulate(const Action& action, const json& context) {
  // The answers use the rendered transition and version names.
  std::string transition = "Done", version;
  const auto& a = std::get<config::JiraAction>(action);
  if (a.transition)
    if (auto t = rules::render(a.transition->text, context)) transition = *t;
  if (a.release_version)
    if (auto v = rules::render(a.release_version->name.text, context)) version = *v;
  Simulation s;
  s.note = std::string(" (Jira's answers are made up here: ") + kIssue + " stands for each issue the JQL finds)";
  s.answer = [transition, version](const outbound::ClientRequest& r) -> std::optional<outbound::ClientResponse> {
    auto has = [&](const char* x) { return r.url.find(x) != std::string::npos; };
    outbound::ClientResponse res;
    res.status = 200;
    const json issue = {{"key", kIssue}, {"fields", {{"status", {{"name", "In Progress"}}}}}};
    if (has("/search") && r.body.find("labels = ") != std::string::npos) {  // create's marker: none yet
      res.body = json{{"issues", json::array()}, {"isLast", true}, {"startAt", 0}, {"total", 0}}.dump();
    } else if (r.method == "POST" && (has("/rest/api/3/issue") || has("/rest/api/2/issue")) && !has("/issue/")) {
      res.status = 201;
      res.body = json{{"id", "10000"}, {"key", kIssue}}.dump();
    } else if (has("/attachment/meta")) {
      res.body = json{{"enabled", true}, {"uploadLimit", 10 * 1024 * 1024}}.dump();
    } else if (has("/attachments")) {
      res.body = json::array({{{"id", "10001"}, {"filename", "(the file)"}}}).dump();
    } else if (has("?fields=attachment")) {
      res.body = json{{"key", kIssue}, {"fields", {{"attachment", json::array()}}}}.dump();
    } else if (has("/search/jql")) {
      res.body = json{{"issues", {issue}}, {"isLast", true}}.dump();
    } else if (has("/rest/api/2/search")) {
      res.body = json{{"startAt", 0}, {"total", 1}, {"issues", {issue}}}.dump();
    } else if (has("/transitions") && r.method == "GET") {
      res.body = json{{"transitions", {{{"id", "31"}, {"name", transition}, {"to", {{"name", transition}}}}}}}.dump();
    } else if (has("/transitions")) {
      res.status = 204;
    } else if (has("/comment")) {
      res.status = 201;
      res.body = "{}";
    } else if (has("/versions")) {
      res.body = json::array({{{"id", "10000"}, {"name", version}, {"released", false}}}).dump();
    } else if (has("/version/")) {
      res.body = "{}";
    } else {
      return std::nullopt;
    }
    return res;
  };
  return s;
}

}  // namespace

const Integration& integration() {
  static const Integration i{"jira", action_index<JiraAction>(), kSections, load_connections, load_action, stored_as<JiraAction>,
                             any_template, run_as<JiraAction, actions::detail::run_jira>, never_shows_history, target,
                             simulate};
  return i;
}

}  // namespace asc_webhookd::integrations::jira
