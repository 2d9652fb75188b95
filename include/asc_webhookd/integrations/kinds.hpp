#pragma once
// The registry's half in the configuration: every integration's settings,
// assembled into the one variant an action is and the connections a config
// holds. The other half, what each integration does, is registry.hpp.
#include "asc_webhookd/integrations/discord/settings.hpp"
#include "asc_webhookd/integrations/github/settings.hpp"
#include "asc_webhookd/integrations/gitlab/settings.hpp"
#include "asc_webhookd/integrations/http/settings.hpp"
#include "asc_webhookd/integrations/jira/settings.hpp"
#include "asc_webhookd/integrations/slack/settings.hpp"
#include "asc_webhookd/integrations/teams/settings.hpp"

#include <map>
#include <string>
#include <variant>

namespace asc_webhookd::config {

struct Connections {
  std::map<std::string, GithubConnection> github;
  std::map<std::string, SlackConnection> slack;
  std::map<std::string, JiraConnection> jira;
  std::map<std::string, HttpConnection> http;
  std::map<std::string, TeamsConnection> teams;
  std::map<std::string, DiscordConnection> discord;
  std::map<std::string, GitlabConnection> gitlab;
};

using Action = std::variant<GithubAction, SlackAction, JiraAction, HttpAction, TeamsAction, DiscordAction, GitlabAction>;


}  // namespace asc_webhookd::config
