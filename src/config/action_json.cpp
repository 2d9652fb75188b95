// Each action kind's stored form, beside its struct (config.hpp): written
// when a job is planned, read back when it is attempted. Positions in the
// config file are not kept (they only serve check-config).
#include "asc_webhookd/config/config.hpp"

namespace asc_webhookd::config {

using nlohmann::json;

namespace {

json text(const Template& t) { return t.text; }
json text(const std::optional<Template>& t) { return t ? json(t->text) : json(nullptr); }
json texts(const std::map<std::string, Template>& m) {
  json o = json::object();
  for (const auto& [k, v] : m) o[k] = v.text;
  return o;
}
json tree(const std::optional<json>& t) { return t ? *t : json(nullptr); }

Template tpl(const json& j, const char* key) { return {j.value(key, std::string()), {}}; }
std::optional<Template> opt_tpl(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  return Template{it->get<std::string>(), {}};
}
std::map<std::string, Template> tpl_map(const json& j, const char* key) {
  std::map<std::string, Template> m;
  if (auto it = j.find(key); it != j.end() && it->is_object())
    for (const auto& [k, v] : it->items()) m[k] = {v.get<std::string>(), {}};
  return m;
}
std::optional<json> opt_tree(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  return *it;
}

}  // namespace

std::string kind_of(const Action& action) {
  return std::visit(
      [](const auto& a) -> std::string {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, GithubAction>) return "github";
        else if constexpr (std::is_same_v<T, SlackAction>) return "slack";
        else if constexpr (std::is_same_v<T, JiraAction>) return "jira";
        else if constexpr (std::is_same_v<T, TeamsAction>) return "teams";
        else if constexpr (std::is_same_v<T, DiscordAction>) return "discord";
        else if constexpr (std::is_same_v<T, GitlabAction>) return "gitlab";
        else return "http";
      },
      action);
}

void to_json(json& j, const GithubAction& a) {
  j = {{"kind", "github"}, {"connection", a.connection}, {"repo", a.repo},
       {"workflow", a.workflow ? json(*a.workflow) : json(nullptr)}, {"ref", text(a.ref)},
       {"inputs", texts(a.inputs)}, {"event_type", text(a.event_type)}, {"client_payload", tree(a.client_payload)}};
}

void from_json(const json& j, GithubAction& a) {
  a.connection = j.at("connection").get<std::string>();
  a.repo = j.at("repo").get<std::string>();
  if (!j.at("workflow").is_null()) a.workflow = j.at("workflow").get<std::string>();
  a.ref = opt_tpl(j, "ref");
  a.inputs = tpl_map(j, "inputs");
  a.event_type = opt_tpl(j, "event_type");
  a.client_payload = opt_tree(j, "client_payload");
}

void to_json(json& j, const SlackAction& a) {
  j = {{"kind", "slack"}, {"connection", a.connection}, {"channel", text(a.channel)}, {"text", text(a.text)},
       {"blocks", tree(a.blocks)}, {"thread_per_instance", a.thread_per_instance}, {"update_parent", a.update_parent}};
}

void from_json(const json& j, SlackAction& a) {
  a.connection = j.at("connection").get<std::string>();
  a.channel = opt_tpl(j, "channel");
  a.text = opt_tpl(j, "text");
  a.blocks = opt_tree(j, "blocks");
  a.thread_per_instance = j.at("thread_per_instance").get<bool>();
  a.update_parent = j.at("update_parent").get<bool>();
}

void to_json(json& j, const JiraAction& a) {
  json rv = nullptr;
  if (a.release_version) rv = {{"project", a.release_version->project.text}, {"name", a.release_version->name.text}};
  j = {{"kind", "jira"}, {"connection", a.connection}, {"jql", text(a.jql)}, {"transition", text(a.transition)},
       {"comment", text(a.comment)}, {"release_version", rv}};
}

void from_json(const json& j, JiraAction& a) {
  a.connection = j.at("connection").get<std::string>();
  a.jql = tpl(j, "jql");
  a.transition = opt_tpl(j, "transition");
  a.comment = opt_tpl(j, "comment");
  if (auto rv = j.find("release_version"); rv != j.end() && !rv->is_null())
    a.release_version = JiraReleaseVersion{tpl(*rv, "project"), tpl(*rv, "name")};
}

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

void to_json(json& j, const TeamsAction& a) { j = {{"kind", "teams"}, {"connection", a.connection}, {"text", text(a.text)}}; }

void from_json(const json& j, TeamsAction& a) {
  a.connection = j.at("connection").get<std::string>();
  a.text = opt_tpl(j, "text");
}

void to_json(json& j, const DiscordAction& a) { j = {{"kind", "discord"}, {"connection", a.connection}, {"text", text(a.text)}}; }

void from_json(const json& j, DiscordAction& a) {
  a.connection = j.at("connection").get<std::string>();
  a.text = opt_tpl(j, "text");
}

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

// `enrich` is common to every kind: written only when required, so the
// stored form of an action without it is what it was before the key.
void to_json(json& j, const Action& a) {
  std::visit([&j](const auto& x) {
    to_json(j, x);
    if (x.enrich_required) j["enrich"] = "required";
  }, a);
}

void from_json(const json& j, Action& a) {
  const std::string kind = j.at("kind").get<std::string>();
  if (kind == "github") a = j.get<GithubAction>();
  else if (kind == "slack") a = j.get<SlackAction>();
  else if (kind == "jira") a = j.get<JiraAction>();
  else if (kind == "http") a = j.get<HttpAction>();
  else if (kind == "teams") a = j.get<TeamsAction>();
  else if (kind == "discord") a = j.get<DiscordAction>();
  else if (kind == "gitlab") a = j.get<GitlabAction>();
  else throw json::other_error::create(501, "unknown action kind " + kind, &j);
  const bool required = j.value("enrich", std::string()) == "required";
  std::visit([required](auto& x) { x.enrich_required = required; }, a);
}

bool any_template(const Action& action, const std::function<bool(const std::string&)>& pred) {
  auto one = [&](const std::optional<Template>& t) { return t && pred(t->text); };
  auto tree = [&](const std::optional<json>& t) { return t && pred(t->dump()); };
  auto each = [&](const std::map<std::string, Template>& m) {
    for (const auto& [k, v] : m)
      if (pred(v.text)) return true;
    return false;
  };
  return std::visit(
      [&](const auto& a) -> bool {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, GithubAction>)
          return one(a.ref) || each(a.inputs) || one(a.event_type) || tree(a.client_payload);
        else if constexpr (std::is_same_v<T, SlackAction>)
          return one(a.text) || tree(a.blocks) || one(a.channel);
        else if constexpr (std::is_same_v<T, JiraAction>)
          return pred(a.jql.text) || one(a.transition) || one(a.comment) ||
                 (a.release_version && (pred(a.release_version->project.text) || pred(a.release_version->name.text)));
        else if constexpr (std::is_same_v<T, TeamsAction> || std::is_same_v<T, DiscordAction>)
          return one(a.text);
        else if constexpr (std::is_same_v<T, GitlabAction>)
          return pred(a.ref.text) || each(a.variables);
        else
          return one(a.url) || each(a.headers) || one(a.body);
      },
      action);
}

bool enrich_required(const Action& action) {
  return std::visit([](const auto& x) { return x.enrich_required; }, action);
}

}  // namespace asc_webhookd::config
