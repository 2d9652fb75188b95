#include "asc_webhookd/config/keys.hpp"

#include <array>

namespace asc_webhookd::config {

namespace {

using K = std::string_view;

constexpr K kTop[] = {"server", "store", "reconcile", "delivery", "log", "app_store_connect", "webhooks", "connections", "rules"};
constexpr K kServer[] = {"listen",          "tls",           "max_body",   "header_timeout", "body_timeout",
                         "idle_timeout",    "max_connections", "trusted_proxies", "admin_token", "admin_listen", "io_threads"};
constexpr K kTls[] = {"cert_file", "key_file"};
constexpr K kStore[] = {"path", "url", "retention"};
constexpr K kReconcile[] = {"interval", "window"};
constexpr K kDelivery[] = {"concurrency", "max_attempts", "initial_backoff", "max_backoff", "max_age", "timeout"};
constexpr K kLog[] = {"level", "format"};
constexpr K kAsc[] = {"issuer_id", "key_id", "private_key", "base_url", "enrich_attempts"};
constexpr K kWebhook[] = {"name", "secret", "previous_secrets", "app_name", "apple"};
constexpr K kAppleLink[] = {"app_id", "webhook_id"};
constexpr K kConnections[] = {"github", "slack", "jira", "http", "teams", "discord", "gitlab"};
constexpr K kGithubConn[] = {"token", "app", "api_url"};
constexpr K kGithubApp[] = {"app_id", "installation_id", "private_key"};
constexpr K kSlackConn[] = {"webhook_url", "bot_token", "api_url"};
constexpr K kJiraConn[] = {"base_url", "email", "api_token", "bearer_token", "flavor"};
constexpr K kHttpConn[] = {"url", "headers"};
constexpr K kTeamsConn[] = {"webhook_url", "envelope"};
constexpr K kDiscordConn[] = {"webhook_url"};
constexpr K kGitlabConn[] = {"trigger_token", "api_url"};
constexpr K kRule[] = {"name", "when", "stop", "actions"};
constexpr K kWhen[] = {"webhook", "event", "from", "to"};
constexpr K kActions[] = {"github", "slack", "jira", "http", "teams", "discord", "gitlab"};
constexpr K kGithubAction[] = {"connection", "repo", "workflow", "ref", "inputs", "event_type", "client_payload", "enrich"};
constexpr K kSlackAction[] = {"connection", "channel", "text", "blocks", "thread", "update_parent", "enrich"};
constexpr K kJiraAction[] = {"connection", "jql", "transition", "comment", "release_version", "enrich"};
constexpr K kReleaseVersion[] = {"project", "name"};
constexpr K kHttpAction[] = {"connection", "url", "method", "headers", "body", "body_escape", "enrich"};
constexpr K kChatAction[] = {"connection", "text", "enrich"};
constexpr K kGitlabAction[] = {"connection", "project", "ref", "variables", "enrich"};

constexpr SectionKeys kSections[] = {
    {"", kTop},
    {"server", kServer},
    {"server.tls", kTls},
    {"store", kStore},
    {"reconcile", kReconcile},
    {"delivery", kDelivery},
    {"log", kLog},
    {"app_store_connect", kAsc},
    {"webhooks[]", kWebhook},
    {"webhooks[].apple", kAppleLink},
    {"connections", kConnections},
    {"connections.github.*", kGithubConn},
    {"connections.github.*.app", kGithubApp},
    {"connections.slack.*", kSlackConn},
    {"connections.jira.*", kJiraConn},
    {"connections.http.*", kHttpConn},
    {"connections.teams.*", kTeamsConn},
    {"connections.discord.*", kDiscordConn},
    {"connections.gitlab.*", kGitlabConn},
    {"rules[]", kRule},
    {"rules[].when", kWhen},
    {"rules[].actions[]", kActions},
    {"rules[].actions[].github", kGithubAction},
    {"rules[].actions[].slack", kSlackAction},
    {"rules[].actions[].jira", kJiraAction},
    {"rules[].actions[].jira.release_version", kReleaseVersion},
    {"rules[].actions[].http", kHttpAction},
    {"rules[].actions[].teams", kChatAction},
    {"rules[].actions[].discord", kChatAction},
    {"rules[].actions[].gitlab", kGitlabAction},
};

}  // namespace

std::span<const SectionKeys> config_sections() { return kSections; }

std::span<const std::string_view> keys_of(std::string_view path) {
  for (const auto& s : kSections)
    if (s.path == path) return s.keys;
  return {};
}

}  // namespace asc_webhookd::config
