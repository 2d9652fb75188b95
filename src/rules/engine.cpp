#include "asc_webhookd/rules/engine.hpp"

namespace asc_webhookd::rules {

using nlohmann::json;
namespace cfg = config;

bool matches(const cfg::When& when, std::string_view webhook, const ingest::Event& event) {
  return when.webhook.matches(webhook) && when.event.matches(event.type_name) &&
         when.from.matches_state(event.old_state) && when.to.matches_state(event.new_state);
}

std::string kind_of(const cfg::Action& action) {
  return std::visit(
      [](const auto& a) -> std::string {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, cfg::GithubAction>) return "github";
        else if constexpr (std::is_same_v<T, cfg::SlackAction>) return "slack";
        else if constexpr (std::is_same_v<T, cfg::JiraAction>) return "jira";
        else return "http";
      },
      action);
}

std::string instance_key(std::string_view webhook, const ingest::Event& event) {
  if (!event.instance) return "";
  return std::string(webhook) + "|" + event.instance->type + "|" + event.instance->id;
}

std::vector<store::PlannedJob> plan(const cfg::Config& config, std::string_view webhook, const ingest::Event& event) {
  std::vector<store::PlannedJob> jobs;
  // Jobs of one action for one instance are delivered in the order received;
  // events without an instance have no order to keep.
  std::string order = instance_key(webhook, event);
  if (order.empty()) order = std::string(webhook) + "|event|" + event.id;
  for (const auto& rule : config.rules) {
    if (!matches(rule.when, webhook, event)) continue;
    for (std::size_t i = 0; i < rule.actions.size(); ++i) {
      store::PlannedJob j;
      j.rule = rule.name;
      j.action_index = static_cast<int>(i);
      j.kind = kind_of(rule.actions[i]);
      j.action_json = action_to_json(rule.actions[i]).dump();
      j.order_key = order + "|" + rule.name + "|" + std::to_string(i);
      jobs.push_back(std::move(j));
    }
    if (rule.stop) break;
  }
  return jobs;
}

namespace {

json t(const cfg::Template& x) { return x.text; }
json t(const std::optional<cfg::Template>& x) { return x ? json(x->text) : json(nullptr); }
json tmap(const std::map<std::string, cfg::Template>& m) {
  json o = json::object();
  for (const auto& [k, v] : m) o[k] = v.text;
  return o;
}

cfg::Template tpl(const json& j, const char* key) { return {j.value(key, std::string()), {}}; }
std::optional<cfg::Template> otpl(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  return cfg::Template{it->get<std::string>(), {}};
}
std::map<std::string, cfg::Template> omap(const json& j, const char* key) {
  std::map<std::string, cfg::Template> m;
  if (auto it = j.find(key); it != j.end() && it->is_object())
    for (const auto& [k, v] : it->items()) m[k] = {v.get<std::string>(), {}};
  return m;
}

}  // namespace

json action_to_json(const cfg::Action& action) {
  return std::visit(
      [](const auto& a) -> json {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, cfg::GithubAction>) {
          return {{"kind", "github"}, {"connection", a.connection}, {"repo", a.repo},
                  {"workflow", a.workflow ? json(*a.workflow) : json(nullptr)}, {"ref", t(a.ref)},
                  {"inputs", tmap(a.inputs)}, {"event_type", t(a.event_type)},
                  {"client_payload", a.client_payload ? *a.client_payload : json(nullptr)}};
        } else if constexpr (std::is_same_v<T, cfg::SlackAction>) {
          return {{"kind", "slack"}, {"connection", a.connection}, {"channel", t(a.channel)}, {"text", t(a.text)},
                  {"blocks", a.blocks ? *a.blocks : json(nullptr)}, {"thread_per_instance", a.thread_per_instance},
                  {"update_parent", a.update_parent}};
        } else if constexpr (std::is_same_v<T, cfg::JiraAction>) {
          json rv = nullptr;
          if (a.release_version) rv = {{"project", a.release_version->project.text}, {"name", a.release_version->name.text}};
          return {{"kind", "jira"}, {"connection", a.connection}, {"jql", t(a.jql)}, {"transition", t(a.transition)},
                  {"comment", t(a.comment)}, {"release_version", rv}};
        } else {
          return {{"kind", "http"}, {"connection", a.connection ? json(*a.connection) : json(nullptr)},
                  {"url", t(a.url)}, {"method", a.method}, {"headers", tmap(a.headers)}, {"body", t(a.body)},
                  {"body_escape", a.body_json_escaped ? "json" : "none"}};
        }
      },
      action);
}

Result<cfg::Action, Error> action_from_json(const json& j) {
  try {
    const std::string kind = j.at("kind").get<std::string>();
    if (kind == "github") {
      cfg::GithubAction a;
      a.connection = j.at("connection").get<std::string>();
      a.repo = j.at("repo").get<std::string>();
      if (!j.at("workflow").is_null()) a.workflow = j.at("workflow").get<std::string>();
      a.ref = otpl(j, "ref");
      a.inputs = omap(j, "inputs");
      a.event_type = otpl(j, "event_type");
      if (!j.at("client_payload").is_null()) a.client_payload = j.at("client_payload");
      return cfg::Action(std::move(a));
    }
    if (kind == "slack") {
      cfg::SlackAction a;
      a.connection = j.at("connection").get<std::string>();
      a.channel = otpl(j, "channel");
      a.text = otpl(j, "text");
      if (!j.at("blocks").is_null()) a.blocks = j.at("blocks");
      a.thread_per_instance = j.at("thread_per_instance").get<bool>();
      a.update_parent = j.at("update_parent").get<bool>();
      return cfg::Action(std::move(a));
    }
    if (kind == "jira") {
      cfg::JiraAction a;
      a.connection = j.at("connection").get<std::string>();
      a.jql = tpl(j, "jql");
      a.transition = otpl(j, "transition");
      a.comment = otpl(j, "comment");
      if (auto rv = j.find("release_version"); rv != j.end() && !rv->is_null())
        a.release_version = cfg::JiraReleaseVersion{tpl(*rv, "project"), tpl(*rv, "name")};
      return cfg::Action(std::move(a));
    }
    if (kind == "http") {
      cfg::HttpAction a;
      if (!j.at("connection").is_null()) a.connection = j.at("connection").get<std::string>();
      a.url = otpl(j, "url");
      a.method = j.at("method").get<std::string>();
      a.headers = omap(j, "headers");
      a.body = otpl(j, "body");
      a.body_json_escaped = j.value("body_escape", std::string("none")) == "json";  // absent in jobs stored before it
      return cfg::Action(std::move(a));
    }
    return Error{"unknown action kind " + kind};
  } catch (const json::exception& e) {
    return Error{std::string("stored action is malformed: ") + e.what()};
  }
}

}  // namespace asc_webhookd::rules
