// Discord through the real delivery engine against a fake webhook endpoint:
// the built-in embed within Discord's limits, long text cut, its 429
// `retry_after` honoured, and a 404 "Unknown Webhook" final with the URL
// not called again.
#include "integrations/common/failed_upload_rig.hpp"
#include "support/fake_discord.hpp"
#include "support/fake_teams.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

namespace asc_webhookd::test {
namespace {

TEST(DiscordAction, TheBuiltInEmbedWithinDiscordsLimitsAndWaitTrue) {
  Rig rig;
  FakeDiscord discord;
  const std::string url = discord.add_webhook("123456789012345678", "AbC-token_1");
  TestServer server(rig.config("  discord:\n    dev:\n      webhook_url: \"" + url + "\"\n", "      - discord: { connection: dev }\n"));
  auto ev = post_failed_upload(server);
  ASSERT_TRUE(ev);
  ASSERT_EQ(ev->jobs.at(0).state, "done") << ev->jobs[0].last_error;
  const auto req = discord.server.requests().at(0);
  EXPECT_NE(req.target.find("wait=true"), std::string::npos);  // a dropped message is an error, not a silent 204
  EXPECT_EQ(req.header("user-agent").rfind("DiscordBot (", 0), 0u);
  const auto messages = discord.messages();
  ASSERT_EQ(messages.size(), 1u);
  const json& embed = messages[0]["embeds"][0];
  EXPECT_EQ(embed["title"], "⚠️ app 1.101.0 (3) — Build upload: Failed");
  EXPECT_EQ(embed["color"], 0xE67E22);
  EXPECT_EQ(embed["url"], "https://appstoreconnect.apple.com/apps/6747000001/testflight/ios");
  EXPECT_NE(embed["description"].get<std::string>().find("ITMS-90683"), std::string::npos);
  EXPECT_EQ(messages[0]["allowed_mentions"], json({{"parse", json::array()}}));  // nothing in an event pings anyone
  // The message Discord made is named in the attempt's detail.
  EXPECT_EQ(ev->jobs[0].attempt_log.at(0).detail.rfind("message 13000000000000000", 0), 0u) << ev->jobs[0].attempt_log[0].detail;
  EXPECT_EQ(ev->jobs[0].attempt_log.at(0).sent.find("AbC-token_1"), std::string::npos);
}

TEST(DiscordAction, LongTextIsCutToTheContentLimitNotRefused) {
  Rig rig;
  FakeDiscord discord;
  const std::string url = discord.add_webhook("42", "tok");
  std::string long_text(2500, 'x');
  TestServer server(rig.config("  discord:\n    dev:\n      webhook_url: \"" + url + "\"\n",
                               "      - discord: { connection: dev, text: \"" + long_text + " {{event.new_state}}\" }\n"));
  auto ev = post_failed_upload(server);
  ASSERT_TRUE(ev);
  ASSERT_EQ(ev->jobs.at(0).state, "done") << ev->jobs[0].last_error;
  const auto messages = discord.messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_FALSE(messages[0].contains("embeds"));
  EXPECT_LE(messages[0]["content"].get<std::string>().size(), 2000u);
}

TEST(DiscordAction, A429IsRetriedAfterItsRetryAfterAndA404IsFinalAndNotCalledAgain) {
  Rig rig;
  FakeDiscord discord;
  const std::string url = discord.add_webhook("777", "tok");
  discord.set_bucket(1, std::chrono::milliseconds(1500));
  // A short backoff (100 ms): without the server's retry_after (≈1.5 s) the
  // retries would meet the bucket again and again.
  TestServer server(rig.config("  discord:\n    dev:\n      webhook_url: \"" + url + "\"\n", "      - discord: { connection: dev }\n"));
  auto first = post_failed_upload(server, "d-1");
  ASSERT_TRUE(first);
  auto second = post_failed_upload(server, "d-2");  // within the window: 429
  ASSERT_TRUE(second);
  ASSERT_EQ(second->jobs.at(0).state, "done") << second->jobs[0].last_error;
  const auto& log = second->jobs[0].attempt_log;
  ASSERT_GE(log.size(), 2u);
  EXPECT_EQ(log[0].http_status, 429);
  EXPECT_EQ(log[0].outcome, "retry");
  // The retry waited the body's retry_after (~1.5 s), not the 100 ms backoff
  // (the engine never runs a job before its next try).
  EXPECT_GE(log[1].started_at_ms - log[0].started_at_ms, 1000) << log[1].started_at_ms - log[0].started_at_ms;
  EXPECT_EQ(log.back().outcome, "done");

  discord.delete_webhook("777");
  for (const char* id : {"d-3", "d-4"}) {
    auto ev = post_failed_upload(server, id);
    ASSERT_TRUE(ev);
    ASSERT_EQ(ev->jobs.at(0).state, "dead") << id;
  }
  auto gone = wait_event(server.store(), "d-3", settled);
  EXPECT_NE(gone->jobs[0].last_error.find("Unknown Webhook"), std::string::npos) << gone->jobs[0].last_error;
  auto after = wait_event(server.store(), "d-4", settled);
  EXPECT_NE(after->jobs[0].last_error.find("webhook was deleted"), std::string::npos) << after->jobs[0].last_error;
  EXPECT_EQ(discord.calls("777"), 1 + log.size() + 1);  // d-1, each try of d-2, d-3: never again after the 404
}

}  // namespace
}  // namespace asc_webhookd::test
