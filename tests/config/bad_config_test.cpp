// One fixture per validation branch of the config loader, each with the
// exact position and the message an operator would read.
#include "asc_webhookd/config/loader.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

namespace asc_webhookd::config {
namespace {

struct Case {
  const char* file;
  const char* expected;  // "LINE:COL: message start"
};

const Case kCases[] = {
    {"yaml_syntax.yaml", "3:9: end of sequence flow not found"},
    {"empty.yaml", "1:1: the configuration is empty"},
    {"unknown_top_key.yaml", "1:1: unknown key \"sever\" in the configuration (expected one of: server, store"},
    {"unknown_nested_key.yaml", "3:3: unknown key \"max_bdy\" in server"},
    {"duplicate_key.yaml", "3:3: duplicate key \"level\" in log"},
    {"bad_duration.yaml", "2:19: server.header_timeout must be a duration such as 250ms"},
    {"bad_size.yaml", "2:13: server.max_body must be a size such as 1MiB"},
    {"bad_listen.yaml", "2:11: server.listen: \"::1:8080\": an IPv6 address must be written in brackets"},
    {"bad_cidr.yaml", "2:20: server.trusted_proxies: \"10.0.0.0/33\" is not an address or CIDR block"},
    {"bad_integer.yaml", "2:16: delivery.concurrency must be a whole number"},
    {"backoff_order.yaml", "2:3: delivery.max_backoff must not be shorter than delivery.initial_backoff"},
    {"bad_log_level.yaml", "2:10: log.level must be one of trace, debug, info, warn, error"},
    {"tls_missing_file.yaml", "3:16: server.tls.cert_file: cannot read /nonexistent/asc-webhookd/cert.pem"},
    {"asc_bad_key.yaml", "3:16: app_store_connect.private_key is not a PEM PKCS#8 key"},
    {"missing_webhooks.yaml", "1:1: webhooks: is required"},
    {"missing_rules.yaml", "1:1: rules: is required"},
    {"bad_webhook_name.yaml", "2:11: webhook name \"iOS App\" must match [a-z0-9][a-z0-9_-]*"},
    {"duplicate_webhook.yaml", "4:11: duplicate webhook name \"app\""},
    {"empty_secret.yaml", "3:13: webhook app secret is empty"},
    {"missing_env.yaml", "3:13: webhook app secret: environment variable ASC_WEBHOOKD_TEST_UNSET is not set"},
    {"missing_file.yaml", "3:13: webhook app secret: cannot read /nonexistent/asc-webhookd/secret"},
    {"credential_without_dir.yaml", "3:13: webhook app secret: ${credential:webhook_secret} needs $CREDENTIALS_DIRECTORY"},
    {"bad_reference.yaml", "3:13: webhook app secret: unknown reference ${vault:webhook}"},
    {"rules_not_a_list.yaml", "5:3: rules must be a list"},
    {"rule_without_actions.yaml", "5:5: rule r needs actions:"},
    {"rule_unknown_webhook.yaml", "6:22: rule r: no webhook named \"android\""},
    {"bad_bool.yaml", "6:11: stop must be true or false"},
    {"bad_rating.yaml", "6:51: rule r: when.rating is a star rating from 1 to 5: one number, a list such as [1, 2], or a bound"},
    {"review_interval_short.yaml", "4:57: webhooks[].apple.reviews.interval is at least 1m"},
    {"reviews_without_asc.yaml", "4:45: webhook app has apple.reviews, but app_store_connect is not configured"},
    {"unknown_action.yaml", "7:9: rule r: unknown action \"email\""},
    {"unknown_connection.yaml", "11:30: rule r: no connections.slack.relases is configured"},
    {"github_both_modes.yaml", "11:17: rule r: github action needs exactly one of workflow"},
    {"github_payload_keys.yaml", "14:27: rule r: client_payload may have at most 10 top-level keys"},
    {"github_event_type_long.yaml", "11:47: rule r: event_type must be 1 to 100 characters"},
    {"github_connection_auth.yaml", "7:7: connections.github.default needs exactly one of token or app"},
    {"slack_thread_on_webhook.yaml", "11:16: rule r: threads need a bot connection"},
    {"jira_missing_jql.yaml", "13:15: rule r: jira action needs jql:"},
    {"slack_attach_on_webhook.yaml", "11:48: rule r: slack attach: needs a bot connection (bot_token with files:write); an incoming webhook cannot carry files"},
    {"attach_unknown_kind.yaml", "15:19: rule r: unknown attach kind \"video\" (known: screenshots, crash_log)"},
    {"jira_create_without_project.yaml", "14:19: rule r: jira create needs project:"},
    {"jira_create_without_issue_type.yaml", "14:19: rule r: jira create needs issue_type:"},
    {"jira_connection_auth.yaml", "7:7: connections.jira.default needs email + api_token (Cloud) or bearer_token"},
    {"http_url_and_connection.yaml", "11:15: rule r: http action needs exactly one of connection or url"},
    {"bad_url.yaml", "8:16: connections.slack.bot.api_url must be an http:// or https:// URL"},
    {"template_unclosed.yaml", "11:43: text template: Unclosed section \"event.new_state\""},
    {"template_unknown_data.yaml", "15:24: client_payload template: unknown template data \"instanse\""},
    {"asc_rsa_key.yaml", "3:16: app_store_connect.private_key: not a PEM private key"},
    {"github_app_bad_key.yaml", "7:58: connections.github.default.app.private_key: not a PEM private key"},
};

Environment test_env() {
  return Environment{[](const std::string& name) -> std::optional<std::string> {
    if (name == "HOME") return std::string("https://hooks.slack.test/T000/B000/XXXX");
    return std::nullopt;
  }};
}

void PrintTo(const Case& c, std::ostream* os) { *os << c.file; }

class BadConfig : public ::testing::TestWithParam<Case> {};

TEST_P(BadConfig, IsRefusedWithFileLineColumnAndMessage) {
  const std::string path = std::string(ASC_WEBHOOKD_SOURCE_DIR) + "/tests/config/bad/" + GetParam().file;
  auto result = load_config_file(path, test_env());
  EXPECT_FALSE(result.ok());
  const std::string want = path + ":" + GetParam().expected;
  bool found = false;
  for (const auto& d : result.diagnostics)
    if (d.severity == Diagnostic::Severity::error && d.text().rfind(want, 0) == 0) found = true;
  EXPECT_TRUE(found) << "wanted: " << want << "\ngot:\n" << result.errors_text();
}

INSTANTIATE_TEST_SUITE_P(Fixtures, BadConfig, ::testing::ValuesIn(kCases), [](const auto& param_info) {
  std::string n = param_info.param.file;
  n = n.substr(0, n.find('.'));
  return n;
});

TEST(BadConfig, EveryFixtureHasACase) {
  std::set<std::string> listed;
  for (const auto& c : kCases) listed.insert(c.file);
  for (const auto& e : std::filesystem::directory_iterator(std::string(ASC_WEBHOOKD_SOURCE_DIR) + "/tests/config/bad"))
    EXPECT_TRUE(listed.count(e.path().filename().string())) << e.path();
}

TEST(BadConfig, AllErrorsAreReportedNotJustTheFirst) {
  auto result = load_config_string(
      "server:\n  max_body: huge\n  idle_timeout: forever\nlog:\n  format: xml\nwebhooks:\n  - name: Bad Name\n    secret: x\nrules: []\n",
      "multi.yaml", test_env());
  ASSERT_FALSE(result.ok());
  std::size_t errors = 0;
  for (const auto& d : result.diagnostics) errors += d.severity == Diagnostic::Severity::error;
  EXPECT_EQ(errors, 4u) << result.errors_text();
}

}  // namespace
}  // namespace asc_webhookd::config
