// Credentials of every service stay out of the logs, at trace level, in a
// run that succeeds and one that fails (docs/design.md).
#include "support/fake_github.hpp"
#include "support/fake_jira.hpp"
#include "support/fake_slack.hpp"
#include "support/keys.hpp"
#include "support/log_capture.hpp"
#include "support/pipeline.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>

namespace asc_webhookd::test {
namespace {

// Neither the log nor the store (attempt records keep what was sent and the
// answers' first bytes) ever holds a token or a credential URL.
TEST(ActionSecrecy, NoTokenOrCredentialUrlReachesTheLogOrTheStore) {
  auto key = make_rsa_key();
  TempDir dir;
  auto key_file = dir.write("app.pem", key.private_pem);
  FakeGithub gh;
  gh.set_app(11, 22, key.public_pem);
  gh.add_repo("acme/ios-app");
  FakeSlack slack;
  slack.add_channel("#ios", "C0IOS");
  FakeJira jira(FakeJira::Flavor::cloud);
  jira.add_issue("IOS-1", "In Progress");
  jira.add_query("project = IOS", {"IOS-1"});
  LogCapture cap(spdlog::level::trace);
  std::string stored;  // every attempt record, and the store's files as bytes
  {
    TestServer server(basic_config("", "connections:\n  github:\n    default:\n      app: { app_id: 11, installation_id: 22, private_key: \"${file:" +
                                           key_file + "}\" }\n      api_url: " + gh.api_url() +
                                           "\n  slack:\n    hook:\n      webhook_url: " + slack.webhook_url() +
                                           "\n    bot:\n      bot_token: " + FakeSlack::kBotToken + "\n      api_url: " + slack.api_url() +
                                           "\n  jira:\n    default:\n      base_url: " + jira.base_url() +
                                           "\n      flavor: cloud\n      email: " + FakeJira::kEmail + "\n      api_token: " + FakeJira::kToken + R"(
rules:
  - name: all
    when: { event: webhookPingCreated }
    actions:
      - github: { repo: acme/ios-app, event_type: ping }
      - github: { repo: acme/missing, event_type: ping }
      - slack: { connection: hook }
      - slack: { connection: bot, channel: "#ios", thread: per_instance }
      - slack: { connection: bot, channel: "#nope" }
      - jira: { jql: "project = IOS", transition: Done, comment: hi }
)"));
    ASSERT_EQ(post_signed(server.port(), "app", fixture_event("events/webhookPingCreated.json", "secret-1"), "s3cret").status, 200);
    auto ev = wait_event(server.store(), "secret-1", settled);
    ASSERT_TRUE(ev);
    int done = 0;
    for (const auto& j : ev->jobs) done += j.state == "done";
    EXPECT_EQ(done, 4);  // the missing repo and the unknown channel are dead
    std::string sent;
    for (const auto& j : ev->jobs)
      for (const auto& a : j.attempt_log) sent += a.sent + a.error + a.detail;
    EXPECT_NE(sent.find("\"method\":\"POST\",\"url\":\"" + gh.api_url() + "/app/installations/22/access_tokens\""),
              std::string::npos) << sent;
    EXPECT_NE(sent.find("(body not recorded: it holds a credential)"), std::string::npos) << sent;
    stored = sent;
    for (const char* suffix : {"", "-wal"}) stored += read_file(server.store_path() + suffix);
    EXPECT_GT(stored.size(), sent.size() + 4096);  // the files were read
  }
  const std::string log = cap.text();
  EXPECT_NE(log.find("attempt job="), std::string::npos);
  for (const std::string& secret : {std::string(FakeSlack::kBotToken), std::string(FakeSlack::kWebhookPath), std::string(FakeJira::kToken),
                                    std::string("ghs_fake1"), std::string("PRIVATE KEY")}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << secret;
    EXPECT_EQ(stored.find(secret), std::string::npos) << "in the store: " << secret;
  }
}

}  // namespace
}  // namespace asc_webhookd::test
