// The command line, run as the real binary.
#include "asc_webhookd/ingest/signature.hpp"

#include "support/daemon.hpp"
#include "support/fake_http.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

namespace asc_webhookd::test {
namespace {

const std::string kExample = std::string(ASC_WEBHOOKD_SOURCE_DIR) + "/config/example.yaml";

TEST(Cli, VersionAndHelp) {
  auto v = run_binary({"--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.out, "asc-webhookd " ASC_WEBHOOKD_VERSION "\n");
  auto h = run_binary({"--help"});
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.out.find("check-config --config FILE"), std::string::npos);
}

TEST(Cli, UsageErrorsExit2) {
  EXPECT_EQ(run_binary({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(run_binary({"--no-such-option"}).exit_code, 2);
  EXPECT_EQ(run_binary({"serve"}).exit_code, 2);           // no --config
  EXPECT_EQ(run_binary({"check-config"}).exit_code, 2);
  EXPECT_EQ(run_binary({"sign"}).exit_code, 2);
  EXPECT_EQ(run_binary({"send", "--config", kExample}).exit_code, 2);
  auto r = run_binary({"--config"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--config needs a value"), std::string::npos);
}

TEST(Cli, CheckConfigOkAndInvalid) {
  auto good = run_binary({"check-config", "--config", kExample});
  EXPECT_EQ(good.exit_code, 0) << good.err;
  EXPECT_NE(good.out.find(": ok (1 webhook, 0 rules)"), std::string::npos);
  EXPECT_NE(good.err.find("warning: webhook ios-app secret is written inline"), std::string::npos);
  auto bad_path = std::string(ASC_WEBHOOKD_SOURCE_DIR) + "/tests/config/bad/unknown_nested_key.yaml";
  auto bad = run_binary({"check-config", "--config", bad_path});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find(bad_path + ":3:3: unknown key \"max_bdy\" in server"), std::string::npos) << bad.err;
}

TEST(Cli, ServeWithInvalidConfigExits1) {
  auto r = run_binary({"--config", std::string(ASC_WEBHOOKD_SOURCE_DIR) + "/tests/config/bad/bad_duration.yaml"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("server.header_timeout must be a duration"), std::string::npos);
}

TEST(Cli, SignWithApplesTestVector) {
  TempDir dir;
  auto secret = dir.write("secret", "This is my secret\n");  // trailing newline is not part of it
  auto body = dir.write("body", "Hello, World!");
  const std::string expected = "hmacsha256=7f062172b01cb00b53ca068614674a3d982a34062a0f5d37687d5e3377e54657\n";
  auto from_file = run_binary({"sign", "--secret-file", secret, body});
  EXPECT_EQ(from_file.exit_code, 0) << from_file.err;
  EXPECT_EQ(from_file.out, expected);
  auto from_stdin = run_binary({"sign", "--secret-file", secret, "-"}, {}, std::string("Hello, World!"));
  EXPECT_EQ(from_stdin.out, expected);
  auto missing = run_binary({"sign", "--secret-file", dir.file("nope"), body});
  EXPECT_EQ(missing.exit_code, 1);
}

TEST(Cli, SendToNothingListeningIsARuntimeFailure) {
  auto r = run_binary({"send", "--config", kExample, "--webhook", "ios-app", "--url", "http://127.0.0.1:1/webhooks/ios-app",
                       std::string(ASC_WEBHOOKD_FIXTURES) + "/events/webhookPingCreated.json"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("cannot connect"), std::string::npos) << r.err;
}

TEST(Cli, HelpAfterACommandExits0) {
  for (const char* cmd : {"simulate", "events", "check-config", "send"}) {
    auto r = run_binary({cmd, "--help"});
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_NE(r.out.find("usage:"), std::string::npos) << cmd;
  }
}

// Only check-config lints: `send` with the example's inline demo secret
// says nothing about it (it is not the place), and fails for its own reasons.
TEST(Cli, SendDoesNotRepeatCheckConfigsWarnings) {
  auto r = run_binary({"send", "--config", kExample, "--webhook", "ios-app", "--url", "http://127.0.0.1:1/webhooks/ios-app",
                       std::string(ASC_WEBHOOKD_FIXTURES) + "/events/webhookPingCreated.json"});
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
}

// simulate needs no secret's value: with none of the example's variables or
// credentials set, it shows the requests, credentials masked.
TEST(Cli, SimulateRunsWithUnresolvableSecrets) {
  auto r = run_binary({"simulate", "--config", std::string(ASC_WEBHOOKD_SOURCE_DIR) + "/config/examples/3-release-jira-slack.yaml",
                       std::string(ASC_WEBHOOKD_FIXTURES) + "/events/seed/09-appStoreVersionAppVersionStateUpdated-READY_FOR_DISTRIBUTION.json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("rule release matches"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Authorization: Basic <redacted>"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("POST https://unresolved.invalid/<redacted>"), std::string::npos) << r.out;  // the Slack webhook URL
  EXPECT_EQ(r.out.find("${env:"), std::string::npos) << r.out;
}

// Signing needs the chosen webhook's secret only: every other reference in
// the config (admin token, tokens, the other webhook's secret, a systemd
// credential) may be unset where `send` runs.
TEST(Cli, SendResolvesOnlyTheChosenWebhooksSecret) {
  TempDir dir;
  FakeHttpServer fake;
  const std::string cfg = dir.write(
      "c.yaml",
      "server:\n  listen: 127.0.0.1:8080\n  admin_token: ${env:UNSET_ADMIN_TOKEN}\n"
      "app_store_connect:\n  issuer_id: 57246542-96fe-1a63-e053-0824d011072a\n  key_id: 2X9R4HXF34\n"
      "  private_key: ${credential:asc-api-key.p8}\n"
      "webhooks:\n  - name: ios-app\n    secret: ${env:HOOK_SECRET}\n  - name: mac-app\n    secret: ${env:UNSET_OTHER}\n"
      "connections:\n  github:\n    default: { token: \"${env:UNSET_GITHUB_TOKEN}\" }\n"
      "  slack:\n    team: { webhook_url: \"${env:UNSET_SLACK_URL}\" }\nrules: []\n");
  const std::string event = std::string(ASC_WEBHOOKD_FIXTURES) + "/events/webhookPingCreated.json";
  auto r = run_binary({"send", "--config", cfg, "--webhook", "ios-app", "--url", fake.url("/webhooks/ios-app"), event},
                      {{"HOOK_SECRET", "only-this-one"}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(fake.count(), 1u);
  const auto req = fake.requests().at(0);
  EXPECT_EQ(req.header("x-apple-signature"), ingest::sign("only-this-one", req.body));
  // The chosen webhook's own secret must resolve, and the error names it.
  auto missing = run_binary({"send", "--config", cfg, "--webhook", "mac-app", "--url", fake.url("/webhooks/mac-app"), event},
                            {{"HOOK_SECRET", "only-this-one"}});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("UNSET_OTHER"), std::string::npos) << missing.err;
  EXPECT_EQ(missing.err.find("UNSET_GITHUB_TOKEN"), std::string::npos) << missing.err;
  EXPECT_EQ(fake.count(), 1u);
}

TEST(Cli, SendWithUnknownWebhookIsInvalid) {
  auto r = run_binary({"send", "--config", kExample, "--webhook", "android",
                       std::string(ASC_WEBHOOKD_FIXTURES) + "/events/webhookPingCreated.json"});
  EXPECT_EQ(r.exit_code, 1);
}

}  // namespace
}  // namespace asc_webhookd::test
