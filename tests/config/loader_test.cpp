#include "asc_webhookd/config/loader.hpp"

#include "support/keys.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <map>

namespace asc_webhookd::config {
namespace {

using namespace std::chrono_literals;

Environment env_of(std::map<std::string, std::string> vars) {
  return Environment{[vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  }};
}

TEST(Loader, ExampleConfigLoadsWithOnlyTheInlineSecretWarning) {
  auto result = load_config_file(std::string(ASC_WEBHOOKD_SOURCE_DIR) + "/config/example.yaml", env_of({}));
  ASSERT_TRUE(result.ok()) << result.errors_text();
  ASSERT_EQ(result.diagnostics.size(), 1u) << result.errors_text();
  EXPECT_NE(result.diagnostics[0].message.find("written inline"), std::string::npos);
  const auto& c = *result.config;
  ASSERT_EQ(c.server.listen.size(), 1u);
  EXPECT_EQ(c.server.listen[0].text(), "127.0.0.1:8080");
  ASSERT_EQ(c.webhooks.size(), 1u);
  EXPECT_EQ(c.webhooks[0].name, "ios-app");
  EXPECT_EQ(c.store.path, "./asc-webhookd.db");
}

// The documented example config, with its secrets supplied through each reference kind.
TEST(Loader, FullSchema) {
  test::TempDir dir;
  auto key = dir.write("key.p8", test::make_p256_key().private_pem);
  std::filesystem::create_directories(dir.path() / "creds");
  dir.write("creds/github_token", "ghp_test\n");
  dir.write("creds/slack_releases_url", "https://hooks.slack.test/services/T/B/X\n");
  dir.write("creds/slack_bot_token", "xoxb-test");
  dir.write("creds/jira_token", "jira-token");
  std::string yaml = R"(
server:
  listen: [127.0.0.1:8080, "[::1]:8443"]
  max_body: 512KiB
  header_timeout: 5s
  body_timeout: 20s
  idle_timeout: 1m
  max_connections: 64
  trusted_proxies: [10.0.0.0/8]
  admin_token: ${env:ADMIN}
store:
  path: /tmp/x.db
  retention: 7d
delivery:
  concurrency: 4
  max_attempts: 5
  initial_backoff: 250ms
  max_backoff: 10m
  max_age: 2h
  timeout: 3s
log:
  level: debug
  format: json
app_store_connect:
  issuer_id: 57246542-96fe-1a63-e053-0824d011072a
  key_id: 2X9R4HXF34
  private_key: ${file:)" + key + R"(}
  base_url: http://127.0.0.1:9/asc/
webhooks:
  - name: ios-app
    secret: ${env:IOS_SECRET}
    previous_secrets: ["${env:OLD_SECRET}"]
    app_name: Acme iOS
connections:
  github:
    default:
      token: ${credential:github_token}
      api_url: https://ghe.example.com/api/v3
  slack:
    releases:
      webhook_url: ${credential:slack_releases_url}
    bot:
      bot_token: ${credential:slack_bot_token}
  jira:
    default:
      base_url: https://acme.atlassian.net
      email: ci@acme.com
      api_token: ${credential:jira_token}
      flavor: cloud
  http:
    teams:
      url: https://example.webhook.office.com/x
      headers: { X-Api-Key: "${env:TEAMS_KEY}" }
rules:
  - name: submit-when-processed
    when:
      webhook: ios-app
      event: buildUploadStateUpdated
      from: PROCESSING
      to: COMPLETE
    stop: false
    actions:
      - github:
          connection: default
          repo: acme/ios-app
          workflow: submit.yml
          ref: main
          inputs:
            version: "{{instance.attributes.cfBundleShortVersionString}}"
            build: "{{instance.attributes.cfBundleVersion}}"
  - name: release-merge-back
    when: { event: appStoreVersionAppVersionStateUpdated, to: READY_FOR_DISTRIBUTION }
    actions:
      - github: { repo: acme/ios-app, event_type: asc-released }
      - jira:
          jql: 'project = IOS AND fixVersion = "{{instance.attributes.versionString}}"'
          transition: Done
          comment: "Released {{instance.attributes.versionString}}"
          release_version: { project: IOS, name: "{{instance.attributes.versionString}}" }
      - slack: { connection: releases }
  - name: review-news
    when: { event: appStoreVersionAppVersionStateUpdated,
            to: [WAITING_FOR_REVIEW, IN_REVIEW, REJECTED] }
    actions:
      - slack: { connection: bot, channel: "#ios-releases", thread: per_instance, update_parent: true }
  - name: forward-everything
    when: { event: "*" }
    stop: true
    actions:
      - http:
          connection: teams
          method: PUT
          headers: { X-Event: "{{event.type}}" }
)";
  auto result = load_config_string(yaml, "full.yaml",
                                   env_of({{"ADMIN", "adm-token-0123456789"},
                                           {"IOS_SECRET", "new-secret"},
                                           {"OLD_SECRET", "old-secret"},
                                           {"TEAMS_KEY", "k"},
                                           {"CREDENTIALS_DIRECTORY", (dir.path() / "creds").string()}}));
  ASSERT_TRUE(result.ok()) << result.errors_text();
  EXPECT_TRUE(result.diagnostics.empty()) << result.errors_text();
  const Config& c = *result.config;
  ASSERT_EQ(c.server.listen.size(), 2u);
  EXPECT_EQ(c.server.listen[1].host, "::1");
  EXPECT_EQ(c.server.listen[1].port, 8443);
  EXPECT_EQ(c.server.max_body, 512u * 1024);
  EXPECT_EQ(c.server.header_timeout, 5s);
  EXPECT_EQ(c.server.idle_timeout, 1min);
  EXPECT_EQ(c.server.max_connections, 64u);
  EXPECT_TRUE(c.server.trusted_proxies.at(0).contains("10.9.8.7"));
  EXPECT_EQ(c.server.admin_token->reveal(), "adm-token-0123456789");
  EXPECT_EQ(c.store.retention, 7 * 24h);
  EXPECT_EQ(c.delivery.initial_backoff, 250ms);
  EXPECT_EQ(c.delivery.timeout, 3s);
  EXPECT_EQ(c.log.level, spdlog::level::debug);
  EXPECT_TRUE(c.log.json);
  ASSERT_TRUE(c.app_store_connect);
  EXPECT_EQ(c.app_store_connect->base_url, "http://127.0.0.1:9/asc");
  EXPECT_NE(c.app_store_connect->private_key.reveal().find("END PRIVATE KEY-----"), std::string::npos);
  EXPECT_EQ(c.webhooks[0].secret.reveal(), "new-secret");
  EXPECT_EQ(c.webhooks[0].previous_secrets.at(0).reveal(), "old-secret");
  EXPECT_EQ(c.connections.github.at("default").token->reveal(), "ghp_test");  // newline trimmed
  EXPECT_EQ(c.connections.github.at("default").api_url, "https://ghe.example.com/api/v3");
  EXPECT_EQ(c.connections.jira.at("default").flavor, JiraFlavor::cloud);
  EXPECT_EQ(c.connections.http.at("teams").headers.at(0).value.reveal(), "k");
  ASSERT_EQ(c.rules.size(), 4u);
  const auto& submit = c.rules[0];
  EXPECT_TRUE(submit.when.webhook.matches("ios-app"));
  EXPECT_FALSE(submit.when.webhook.matches("other"));
  EXPECT_TRUE(submit.when.from.matches_state(std::optional<std::string>("PROCESSING")));
  EXPECT_FALSE(submit.when.from.matches_state(std::optional<std::string>()));
  const auto& gh = std::get<GithubAction>(submit.actions.at(0));
  EXPECT_EQ(gh.workflow, "submit.yml");
  EXPECT_EQ(gh.inputs.at("build").text, "{{instance.attributes.cfBundleVersion}}");
  EXPECT_GT(gh.inputs.at("build").pos.line, 0);
  const auto& merge = c.rules[1];
  ASSERT_EQ(merge.actions.size(), 3u);
  EXPECT_EQ(std::get<GithubAction>(merge.actions[0]).event_type->text, "asc-released");
  const auto& jira = std::get<JiraAction>(merge.actions[1]);
  EXPECT_EQ(jira.transition->text, "Done");
  EXPECT_EQ(jira.release_version->project.text, "IOS");
  EXPECT_EQ(std::get<SlackAction>(merge.actions[2]).connection, "releases");
  const auto& slack = std::get<SlackAction>(c.rules[2].actions[0]);
  EXPECT_TRUE(slack.thread_per_instance);
  EXPECT_TRUE(slack.update_parent);
  EXPECT_TRUE(c.rules[2].when.to.matches("IN_REVIEW"));
  EXPECT_FALSE(c.rules[2].when.to.matches("READY_FOR_DISTRIBUTION"));
  EXPECT_TRUE(c.rules[3].stop);
  EXPECT_TRUE(c.rules[3].when.event.matches("anything"));
  EXPECT_EQ(std::get<HttpAction>(c.rules[3].actions[0]).method, "PUT");
}

TEST(Loader, DefaultsAndStateDirectory) {
  auto result = load_config_string("webhooks: [{name: a, secret: x}]\nrules: []\n", "min.yaml",
                                   env_of({{"STATE_DIRECTORY", "/var/lib/asc-webhookd:/other"}}));
  ASSERT_TRUE(result.ok()) << result.errors_text();
  const auto& c = *result.config;
  EXPECT_EQ(c.store.path, "/var/lib/asc-webhookd/state.db");
  EXPECT_EQ(c.server.listen.at(0).text(), "127.0.0.1:8080");
  EXPECT_EQ(c.server.max_body, 1024u * 1024);
  EXPECT_EQ(c.server.header_timeout, 10s);
  EXPECT_EQ(c.server.body_timeout, 30s);
  EXPECT_EQ(c.server.idle_timeout, 60s);
  EXPECT_EQ(c.server.max_connections, 1024u);
  EXPECT_EQ(c.store.retention, 30 * 24h);
  EXPECT_EQ(c.delivery.concurrency, 8u);
  EXPECT_EQ(c.delivery.max_attempts, 12u);
  EXPECT_EQ(c.delivery.max_backoff, 30min);
  EXPECT_EQ(c.delivery.max_age, 48h);
  EXPECT_EQ(c.log.level, spdlog::level::info);
  EXPECT_FALSE(c.log.json);
  EXPECT_FALSE(c.server.admin_token);
  EXPECT_FALSE(c.app_store_connect);
  EXPECT_TRUE(c.server.trusted_proxies.at(0).contains("127.0.0.1"));
  EXPECT_TRUE(c.server.trusted_proxies.at(1).contains("::1"));
}

TEST(Loader, ReferencedSecretsDrawNoWarningInlineOnesDo) {
  auto result = load_config_string(
      "webhooks:\n  - name: a\n    secret: ${env:S}\n  - name: b\n    secret: inline-one\nrules: []\n", "w.yaml",
      env_of({{"S", "v"}}));
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result.diagnostics.size(), 1u);
  EXPECT_EQ(result.diagnostics[0].text(), "w.yaml:5:13: warning: webhook b secret is written inline; prefer "
                                          "${env:NAME}, ${file:/path} or ${credential:NAME}");
}

TEST(Loader, UnknownEventNameIsAWarningNotAnError) {
  auto result = load_config_string(
      "webhooks: [{name: a, secret: x}]\nrules:\n  - name: r\n    when: { event: appClipCreated }\n    actions:\n"
      "      - http: { url: \"http://127.0.0.1:9/\" }\n",
      "u.yaml", env_of({}));
  ASSERT_TRUE(result.ok()) << result.errors_text();
  EXPECT_NE(result.errors_text().find("u.yaml:4:20: warning: rule r: \"appClipCreated\" is not an App Store Connect"),
            std::string::npos)
      << result.errors_text();
}

// Without app_store_connect, an action whose templates show looked-up data
// would render it empty: a warning at that action, and only there.
TEST(Loader, ShowingLookedUpDataWithoutTheApiIsAWarningAtTheAction) {
  const std::string rules =
      "rules:\n  - name: r\n    actions:\n"
      "      - http: { url: \"https://x.example/h\", body: \"v {{instance.attributes.versionString}}\" }\n"
      "      - http: { url: \"https://x.example/h\", body: \"{{event.id}}\" }\n";
  auto without = load_config_string("webhooks: [{name: a, secret: \"${env:S}\"}]\n" + rules, "t.yaml", env_of({{"S", "s3cret"}}));
  ASSERT_TRUE(without.ok()) << without.errors_text();
  EXPECT_EQ(without.errors_text(),
            "t.yaml:5:15: warning: rule r: this http action shows App Store Connect details (instance, app or build), but "
            "app_store_connect is not configured: they render empty (add app_store_connect to look them up)\n");
}

TEST(Loader, MissingFileIsAnError) {
  auto result = load_config_file("/nonexistent/asc-webhookd.yaml", env_of({}));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.errors_text(), "/nonexistent/asc-webhookd.yaml: cannot read the configuration file: No such file or directory\n");
}

}  // namespace
}  // namespace asc_webhookd::config
