// Slack: incoming webhooks and the Web API (a bot token), threads per instance: what the integration is to the rest of the daemon —
// its configuration (keys, loading), its stored form, and what the
// registry (integrations/registry.hpp) lists of it. The requests are
// run.cpp's.
#include "asc_webhookd/integrations/slack/run.hpp"
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

void to_json(json& j, const SlackAction& a) {
  j = {{"kind", "slack"}, {"connection", a.connection}, {"channel", text(a.channel)}, {"text", text(a.text)},
       {"blocks", tree(a.blocks)}, {"thread_per_instance", a.thread_per_instance}, {"update_parent", a.update_parent}};
  if (!a.attach.empty()) j["attach"] = a.attach;
}

void from_json(const json& j, SlackAction& a) {
  a.connection = j.at("connection").get<std::string>();
  a.channel = opt_tpl(j, "channel");
  a.text = opt_tpl(j, "text");
  a.blocks = opt_tree(j, "blocks");
  a.thread_per_instance = j.at("thread_per_instance").get<bool>();
  a.update_parent = j.at("update_parent").get<bool>();
  if (auto at = j.find("attach"); at != j.end() && at->is_array()) a.attach = at->get<std::vector<std::string>>();
}

}  // namespace asc_webhookd::config

namespace asc_webhookd::integrations::slack {
namespace {

using nlohmann::json;
using config::Action;
using config::Config;
using namespace config;

constexpr std::string_view kConnection[] = {"webhook_url", "bot_token", "api_url"};
constexpr std::string_view kAction[] = {"connection", "channel", "text", "blocks", "thread", "update_parent", "attach", "enrich"};
constexpr config::SectionKeys kSections[] = {
    {"connections.slack.*", kConnection},
    {"rules[].actions[].slack", kAction},
};

bool load_connection(YamlReader& r, const YAML::Node& n, const std::string& what, SlackConnection& c) {
  if (!r.section_map(n, what, "connections.slack.*")) return false;
  if (auto v = YamlReader::field(n, "webhook_url"))
    if (auto s = r.url_secret(*v, what + ".webhook_url")) c.webhook_url = *s;
  if (auto v = YamlReader::field(n, "bot_token"))
    if (auto s = r.secret(*v, what + ".bot_token")) c.bot_token = *s;
  bool wrote_webhook = YamlReader::field(n, "webhook_url").has_value();
  bool wrote_bot = YamlReader::field(n, "bot_token").has_value();
  if (wrote_webhook == wrote_bot) r.error(n, what + " needs exactly one of webhook_url or bot_token");
  if (auto v = YamlReader::field(n, "api_url"))
    if (auto s = r.url(*v, what + ".api_url")) c.api_url = *s;
  return true;
}

void load_connections(YamlReader& r, const YAML::Node& named, Connections& out) {
  each_named(r, named, "connections.slack", out.slack, load_connection);
}

std::optional<Action> load_action(YamlReader& r, const YAML::Node& n, const Config& cfg, const std::string& rule) {
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
  if (auto v = YamlReader::field(n, "attach")) {
    a.attach = attach_kinds(r, *v, rule);
    if (c && c->webhook_url)
      r.error(*v, with_name(rule, "slack attach: needs a bot connection (bot_token with files:write); an incoming webhook "
                                  "cannot carry files"));
  }
  if (a.update_parent && !a.thread_per_instance)
    r.error(n, with_name(rule, "update_parent needs thread: per_instance"));
  return Action(std::move(a));
}

bool any_template(const Action& action, const TemplatePredicate& pred) {
  const auto& a = std::get<SlackAction>(action);
  return holds(a.text, pred) || holds(a.blocks, pred) || holds(a.channel, pred);
}

bool builtin_shows_history(const config::Action& action) {
  const auto& a = std::get<config::SlackAction>(action);
  return !a.text && !a.blocks;  // the built-in message shows review times
}

std::string target(const json& a) {
  return field(a, "channel").empty() ? "connection " + field(a, "connection") : field(a, "channel");
}

Simulation simulate(const Action&, const json&) {
  Simulation s;
  s.answer = [](const outbound::ClientRequest& r) -> std::optional<outbound::ClientResponse> {
    outbound::ClientResponse res;
    res.status = 200;
    if (r.url.find("chat.postMessage") != std::string::npos) res.body = R"({"ok":true,"channel":"C0SIMULATED","ts":"1700000000.000100"})";
    else if (r.url.find("chat.update") != std::string::npos) res.body = R"({"ok":true})";
    else if (r.url.find("files.getUploadURLExternal") != std::string::npos)
      res.body = R"({"ok":true,"upload_url":"https://files.slack.com/upload/v1/SIMULATED","file_id":"F0SIMULATED"})";
    else if (r.url.find("/upload/v1/") != std::string::npos) res.body = "OK";
    else if (r.url.find("files.completeUploadExternal") != std::string::npos)
      res.body = R"({"ok":true,"files":[{"id":"F0SIMULATED"}]})";
    else return std::nullopt;  // an incoming webhook answers "ok"
    return res;
  };
  return s;
}

}  // namespace

const Integration& integration() {
  static const Integration i{"slack", action_index<SlackAction>(), kSections, load_connections, load_action, stored_as<SlackAction>,
                             any_template, run_as<SlackAction, actions::detail::run_slack>, builtin_shows_history, target,
                             simulate};
  return i;
}

}  // namespace asc_webhookd::integrations::slack
