// GitHub Actions: workflow_dispatch and repository_dispatch: what the integration is to the rest of the daemon —
// its configuration (keys, loading), its stored form, and what the
// registry (integrations/registry.hpp) lists of it. The requests are
// run.cpp's.
#include "asc_webhookd/integrations/github/run.hpp"
#include "asc_webhookd/integrations/common/parts.hpp"
#include "asc_webhookd/core/jwt.hpp"

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

void to_json(json& j, const GithubAction& a) {
  j = {{"kind", "github"}, {"connection", a.connection}, {"repo", a.repo},
       {"workflow", a.workflow ? json(*a.workflow) : json(nullptr)}, {"ref", text(a.ref)},
       {"inputs", texts(a.inputs)}, {"event_type", text(a.event_type)}, {"client_payload", tree(a.client_payload)}};
  if (a.issue)
    j["issue"] = {{"repo", a.issue->repo}, {"title", a.issue->title.text}, {"body", text(a.issue->body)},
                  {"labels", a.issue->labels}};
}

void from_json(const json& j, GithubAction& a) {
  a.connection = j.at("connection").get<std::string>();
  a.repo = j.at("repo").get<std::string>();
  if (!j.at("workflow").is_null()) a.workflow = j.at("workflow").get<std::string>();
  a.ref = opt_tpl(j, "ref");
  a.inputs = tpl_map(j, "inputs");
  a.event_type = opt_tpl(j, "event_type");
  a.client_payload = opt_tree(j, "client_payload");
  if (auto i = j.find("issue"); i != j.end() && i->is_object())  // absent in jobs stored before issue: existed
    a.issue = GithubIssue{i->value("repo", std::string()), tpl(*i, "title"), opt_tpl(*i, "body"),
                          i->value("labels", std::vector<std::string>{})};
}

}  // namespace asc_webhookd::config

namespace asc_webhookd::integrations::github {
namespace {

using nlohmann::json;
using config::Action;
using config::Config;
using namespace config;

constexpr std::string_view kConnection[] = {"token", "app", "api_url"};
constexpr std::string_view kApp[] = {"app_id", "installation_id", "private_key"};
constexpr std::string_view kAction[] = {"connection", "repo",           "workflow", "ref",   "inputs",
                                        "event_type", "client_payload", "issue",    "enrich"};
constexpr std::string_view kIssue[] = {"repo", "title", "body", "labels"};
constexpr config::SectionKeys kSections[] = {
    {"connections.github.*", kConnection},
    {"connections.github.*.app", kApp},
    {"rules[].actions[].github", kAction},
    {"rules[].actions[].github.issue", kIssue},
};

const std::regex& repo_pattern() {
  static const std::regex repo_re("[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+");
  return repo_re;
}

void load_issue(YamlReader& r, const YAML::Node& n, const std::string& rule, GithubAction& a) {
  if (!r.section_map(n, "github issue", "rules[].actions[].github.issue")) return;
  GithubIssue issue;
  if (auto v = YamlReader::field(n, "repo")) {
    if (auto s = r.nonempty_string(*v, "issue.repo")) {
      if (!std::regex_match(*s, repo_pattern())) r.error(*v, with_name(rule, "github issue.repo must be owner/name"));
      issue.repo = *s;
    }
  } else {
    r.error(n, with_name(rule, "github issue needs repo: owner/name"));
  }
  if (auto v = YamlReader::field(n, "title")) {
    if (auto t = r.template_text(*v, "issue.title")) {
      if (t->text.empty()) r.error(*v, with_name(rule, "github issue.title must not be empty"));
      issue.title = *t;
    }
  } else {
    r.error(n, with_name(rule, "github issue needs title:"));
  }
  if (auto v = YamlReader::field(n, "body")) issue.body = r.template_text(*v, "issue.body");
  if (auto v = YamlReader::field(n, "labels"))
    if (auto list = r.string_list(*v, "issue.labels")) issue.labels = *list;
  a.issue = std::move(issue);
}

bool load_connection(YamlReader& r, const YAML::Node& n, const std::string& what, GithubConnection& c) {
  if (!r.section_map(n, what, "connections.github.*")) return false;
  if (auto v = YamlReader::field(n, "token"))
    if (auto s = r.secret(*v, what + ".token")) c.token = *s;
  if (auto v = YamlReader::field(n, "app")) {
    if (r.section_map(*v, what + ".app", "connections.github.*.app")) {
      GithubAppAuth app;
      auto id = YamlReader::field(*v, "app_id");
      auto inst = YamlReader::field(*v, "installation_id");
      auto key = YamlReader::field(*v, "private_key");
      if (!id || !inst || !key) r.error(*v, what + ".app needs app_id, installation_id and private_key");
      if (id)
        if (auto i = r.integer(*id, what + ".app.app_id", 1, INT64_MAX)) app.app_id = *i;
      if (inst)
        if (auto i = r.integer(*inst, what + ".app.installation_id", 1, INT64_MAX)) app.installation_id = *i;
      if (key)
        if (auto s = r.secret(*key, what + ".app.private_key")) {
          // Loaded now, so a bad key fails check-config, not the first dispatch.
          if (r.unresolved(*s))
            ;  // checked where it can be read
          else if (auto k = jwt::SigningKey::load(s->reveal(), jwt::Algorithm::rs256); !k)
            r.error(*key, what + ".app.private_key: " + k.error().message + " (the GitHub App's .pem file)");
          app.private_key = *s;
        }
      c.app = app;
    }
  }
  if (YamlReader::field(n, "token").has_value() == YamlReader::field(n, "app").has_value())
    r.error(n, what + " needs exactly one of token or app");
  if (auto v = YamlReader::field(n, "api_url"))
    if (auto s = r.url(*v, what + ".api_url")) c.api_url = *s;
  return true;
}

void load_connections(YamlReader& r, const YAML::Node& named, Connections& out) {
  each_named(r, named, "connections.github", out.github, load_connection);
}

std::optional<Action> load_action(YamlReader& r, const YAML::Node& n, const Config& cfg, const std::string& rule) {
  if (!r.section_map(n, "github action", "rules[].actions[].github"))
    return std::nullopt;
  GithubAction a;
  a.pos = r.pos(n);
  a.enrich_required = enrich_required(r, n, rule);
  if (auto c = connection_ref(r, n, cfg.connections.github, "github", rule, "default")) a.connection = *c;
  if (auto v = YamlReader::field(n, "issue")) {
    load_issue(r, *v, rule, a);
    for (auto key : {"repo", "workflow", "event_type", "ref", "inputs", "client_payload"})
      if (auto other = YamlReader::field(n, key))
        r.error(*other, with_name(rule, std::string("github issue: makes an issue; ") + key + ": belongs to a dispatch" +
                                            (std::string(key) == "repo" ? " (the issue's repo goes inside issue:)" : "")));
    return Action(std::move(a));
  }
  if (auto v = YamlReader::field(n, "repo")) {
    if (auto s = r.nonempty_string(*v, "repo")) {
      if (!std::regex_match(*s, repo_pattern())) r.error(*v, with_name(rule, "github repo must be owner/name"));
      a.repo = *s;
    }
  } else {
    r.error(n, with_name(rule, "github action needs repo: owner/name (a dispatch) or issue: (an issue to make)"));
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
      if (a.inputs.size() > GithubLimits::max_workflow_inputs)
        r.error(*v, with_name(rule, "GitHub accepts at most 25 workflow_dispatch inputs"));
    }
    if (auto v = YamlReader::field(n, "client_payload")) r.error(*v, with_name(rule, "client_payload goes with event_type, not workflow"));
  }
  if (event_type) {
    a.event_type = r.template_text(*event_type, "event_type");
    if (a.event_type && is_static(a.event_type->text) &&
        (a.event_type->text.empty() || a.event_type->text.size() > GithubLimits::max_event_type))
      r.error(*event_type, with_name(rule, "event_type must be 1 to 100 characters (GitHub's limit)"));
    if (auto v = YamlReader::field(n, "client_payload")) {
      if (!v->IsMap()) r.error(*v, with_name(rule, "client_payload must be a mapping"));
      else if (v->size() > GithubLimits::max_client_payload_keys)
        r.error(*v, with_name(rule, "client_payload may have at most 10 top-level keys (GitHub's limit)"));
      else a.client_payload = r.json(*v, "client_payload");
    }
    for (auto key : {"ref", "inputs"})
      if (auto v = YamlReader::field(n, key)) r.error(*v, with_name(rule, "ref and inputs go with workflow, not event_type"));
  }
  return Action(std::move(a));
}

bool any_template(const Action& action, const TemplatePredicate& pred) {
  const auto& a = std::get<GithubAction>(action);
  if (a.issue && (pred(a.issue->title.text) || holds(a.issue->body, pred))) return true;
  return holds(a.ref, pred) || holds(a.inputs, pred) || holds(a.event_type, pred) || holds(a.client_payload, pred);
}

std::string target(const json& a) {
  if (auto i = a.find("issue"); i != a.end() && i->is_object()) return field(*i, "repo") + " issue";
  return field(a, "repo") + " " + (field(a, "workflow").empty() ? field(a, "event_type") : field(a, "workflow"));
}

Simulation simulate(const Action&, const json&) {
  Simulation s;
  s.answer = [](const outbound::ClientRequest& r) -> std::optional<outbound::ClientResponse> {
    outbound::ClientResponse res;
    if (r.url.find("/access_tokens") != std::string::npos) {
      res.status = 201;
      res.body = json{{"token", "<installation token>"}, {"expires_at", "2099-01-01T00:00:00Z"}}.dump();
    } else if (r.method == "GET" && r.url.find("/issues?") != std::string::npos) {
      res.status = 200;  // an issue's marker: none yet
      res.body = "[]";
    } else if (r.method == "POST" && r.url.size() > 7 && r.url.compare(r.url.size() - 7, 7, "/issues") == 0) {
      res.status = 201;
      res.body = json{{"number", 1}, {"html_url", "https://github.com/<simulated issue>"}}.dump();
    } else if (r.body.find("\"return_run_details\":true") != std::string::npos) {
      res.status = 200;
      res.body = json{{"workflow_run_id", 1}, {"run_url", "<simulated>"}, {"html_url", "https://github.com/<simulated run>"}}.dump();
    } else {
      res.status = 204;  // a dispatch
    }
    return res;
  };
  return s;
}

}  // namespace

const Integration& integration() {
  static const Integration i{"github", action_index<GithubAction>(), kSections, load_connections, load_action, stored_as<GithubAction>,
                             any_template, run_as<GithubAction, actions::detail::run_github>, never_shows_history, target,
                             simulate};
  return i;
}

}  // namespace asc_webhookd::integrations::github
