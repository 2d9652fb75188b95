// Teams through the real delivery engine against a fake Workflows trigger:
// the built-in Adaptive Card fed by App Store Connect enrichment (state,
// version, build, app, Apple's error text, the link), a `text` instead, the
// bare-card envelope, a throttled trigger retried.
#include "integrations/common/failed_upload_rig.hpp"
#include "support/fake_discord.hpp"
#include "support/fake_teams.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

namespace asc_webhookd::test {
namespace {

TEST(TeamsAction, TheBuiltInCardSaysStateVersionBuildAppApplesErrorAndLinksToAppStoreConnect) {
  Rig rig;
  FakeTeams teams;
  TestServer server(rig.config("  teams:\n    mobile:\n      webhook_url: \"" + teams.url() + "\"\n", "      - teams: { connection: mobile }\n"));
  auto ev = post_failed_upload(server);
  ASSERT_TRUE(ev);
  ASSERT_EQ(ev->jobs.at(0).state, "done") << ev->jobs[0].last_error;
  ASSERT_TRUE(teams.server.wait_for(1));
  const auto req = teams.server.requests().at(0);
  EXPECT_EQ(req.header("authorization"), "");  // the flow refuses a second scheme
  EXPECT_EQ(req.header("content-type"), "application/json");
  const auto runs = teams.runs();
  ASSERT_EQ(runs.size(), 1u);
  ASSERT_EQ(runs[0].error, "") << req.body;  // the flow's run posted the card
  const json& card = runs[0].card;
  EXPECT_EQ(card["version"], "1.4");
  const std::string text = card.dump();
  EXPECT_NE(text.find("app 1.101.0 (3) — Build upload: Failed"), std::string::npos) << text;
  EXPECT_NE(text.find("\"title\":\"Build\",\"value\":\"3\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"title\":\"Version\",\"value\":\"1.101.0\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"title\":\"State\",\"value\":\"Processing → Failed\""), std::string::npos) << text;
  EXPECT_NE(text.find("ITMS-90683: Missing purpose string in Info.plist"), std::string::npos) << text;
  EXPECT_EQ(card["body"][0]["color"], "Warning");
  ASSERT_TRUE(card.contains("actions"));
  EXPECT_EQ(card["actions"][0]["type"], "Action.OpenUrl");
  EXPECT_EQ(card["actions"][0]["url"], "https://appstoreconnect.apple.com/apps/6747000001/testflight/ios");
  // The trigger URL is the credential: the attempt shows its host only.
  EXPECT_EQ(ev->jobs[0].attempt_log.at(0).sent.find("s1gnature"), std::string::npos) << ev->jobs[0].attempt_log[0].sent;
}

TEST(TeamsAction, TextAndTheBareCardEnvelopeAndTheOldHost) {
  Rig rig;
  FakeTeams teams;
  teams.expect_bare_card(true);
  TestServer server(rig.config("  teams:\n    bare:\n      webhook_url: \"" + teams.old_host_url() + "\"\n      envelope: card\n",
                               "      - teams: { connection: bare, text: \"{{event.new_state}} for {{instance.attributes.cfBundleVersion}}\" }\n"));
  auto ev = post_failed_upload(server);
  ASSERT_TRUE(ev);
  ASSERT_EQ(ev->jobs.at(0).state, "done") << ev->jobs[0].last_error;
  const auto runs = teams.runs();
  ASSERT_EQ(runs.size(), 1u);
  ASSERT_EQ(runs[0].error, "");
  EXPECT_EQ(runs[0].card["body"][0]["text"], "FAILED for 3");
}

TEST(TeamsAction, AThrottledTriggerIsRetriedAndAWrongSignatureIsFinal) {
  Rig rig;
  FakeTeams teams;
  teams.throttle_next(1);
  std::string wrong = teams.url();
  wrong.replace(wrong.find("sig=s1gnature"), 13, "sig=forged");
  TestServer server(rig.config("  teams:\n    ok:\n      webhook_url: \"" + teams.url() + "\"\n    forged:\n      webhook_url: \"" + wrong + "\"\n",
                               "      - teams: { connection: ok }\n      - teams: { connection: forged }\n"));
  auto posted = post_failed_upload(server);
  ASSERT_TRUE(posted);
  ASSERT_EQ(posted->jobs.size(), 2u);
  const auto& ok = posted->jobs[0].action_index == 0 ? posted->jobs[0] : posted->jobs[1];
  const auto& forged = posted->jobs[0].action_index == 0 ? posted->jobs[1] : posted->jobs[0];
  EXPECT_EQ(ok.state, "done");
  ASSERT_GE(ok.attempt_log.size(), 2u);
  EXPECT_EQ(ok.attempt_log[0].outcome, "retry");
  EXPECT_EQ(ok.attempt_log[0].http_status, 429);
  EXPECT_EQ(forged.state, "dead");
  EXPECT_NE(forged.last_error.find("401"), std::string::npos) << forged.last_error;
  EXPECT_NE(forged.last_error.find("DirectApiAuthorizationRequired"), std::string::npos) << forged.last_error;
  EXPECT_EQ(forged.last_error.find("forged"), std::string::npos) << "the sig is a credential: " << forged.last_error;
}

}  // namespace
}  // namespace asc_webhookd::test
