// connections: named credentials and endpoints that actions refer to.
#include "asc_webhookd/core/jwt.hpp"
#include "sections.hpp"

namespace asc_webhookd::config::detail {
namespace {

template <class T, class F>
void each_named(YamlReader& r, const YAML::Node& n, const std::string& what, std::map<std::string, T>& out, F&& load) {
  if (n.IsNull()) return;
  if (!n.IsMap()) {
    r.error(n, what + " must be a mapping of names to connections");
    return;
  }
  for (auto it = n.begin(); it != n.end(); ++it) {
    if (!it->first.IsScalar() || it->first.Scalar().empty()) {
      r.error(it->first, what + ": connection names must be strings");
      continue;
    }
    const std::string name = it->first.Scalar();
    if (out.count(name)) {
      r.error(it->first, "duplicate connection " + what + "." + name);
      continue;
    }
    T value;
    if (load(it->second, what + "." + name, value)) out.emplace(name, std::move(value));
  }
}

bool load_github(YamlReader& r, const YAML::Node& n, const std::string& what, GithubConnection& c) {
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

bool load_slack(YamlReader& r, const YAML::Node& n, const std::string& what, SlackConnection& c) {
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

bool load_jira(YamlReader& r, const YAML::Node& n, const std::string& what, JiraConnection& c) {
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

bool load_http(YamlReader& r, const YAML::Node& n, const std::string& what, HttpConnection& c) {
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

bool load_teams(YamlReader& r, const YAML::Node& n, const std::string& what, TeamsConnection& c) {
  if (!r.section_map(n, what, "connections.teams.*")) return false;
  if (auto v = YamlReader::field(n, "webhook_url")) {
    if (auto s = r.url_secret(*v, what + ".webhook_url")) {
      c.webhook_url = *s;
      // Office 365 connector URLs are retired (outbound-apis.md §7.6).
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

bool load_discord(YamlReader& r, const YAML::Node& n, const std::string& what, DiscordConnection& c) {
  if (!r.section_map(n, what, "connections.discord.*")) return false;
  if (auto v = YamlReader::field(n, "webhook_url")) {
    if (auto s = r.url_secret(*v, what + ".webhook_url")) {
      const auto& u = s->reveal();
      if (!r.unresolved(*s) && u.find("/webhooks/") == std::string::npos)
        r.error(*v, what + ".webhook_url must be a Discord webhook URL (https://discord.com/api/webhooks/ID/TOKEN)");
      c.webhook_url = *s;
    }
  } else {
    r.error(n, what + ".webhook_url is required (https://discord.com/api/webhooks/ID/TOKEN)");
  }
  return true;
}

bool load_gitlab(YamlReader& r, const YAML::Node& n, const std::string& what, GitlabConnection& c) {
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

}  // namespace

void load_connections(YamlReader& r, const YAML::Node& n, Connections& out) {
  if (!r.section_map(n, "connections", "connections")) return;
  if (auto v = YamlReader::field(n, "github")) each_named(r, *v, "connections.github", out.github, [&](auto&&... a) { return load_github(r, a...); });
  if (auto v = YamlReader::field(n, "slack")) each_named(r, *v, "connections.slack", out.slack, [&](auto&&... a) { return load_slack(r, a...); });
  if (auto v = YamlReader::field(n, "jira")) each_named(r, *v, "connections.jira", out.jira, [&](auto&&... a) { return load_jira(r, a...); });
  if (auto v = YamlReader::field(n, "http")) each_named(r, *v, "connections.http", out.http, [&](auto&&... a) { return load_http(r, a...); });
  if (auto v = YamlReader::field(n, "teams")) each_named(r, *v, "connections.teams", out.teams, [&](auto&&... a) { return load_teams(r, a...); });
  if (auto v = YamlReader::field(n, "discord")) each_named(r, *v, "connections.discord", out.discord, [&](auto&&... a) { return load_discord(r, a...); });
  if (auto v = YamlReader::field(n, "gitlab")) each_named(r, *v, "connections.gitlab", out.gitlab, [&](auto&&... a) { return load_gitlab(r, a...); });
}

}  // namespace asc_webhookd::config::detail
