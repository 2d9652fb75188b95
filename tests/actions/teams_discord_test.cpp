// Teams and Discord through the real delivery engine against fakes built from
// Teams and Discord: the built-in Adaptive Card and embed fed by App
// Store Connect enrichment (state, version, build, app, Apple's error text,
// the App Store Connect link), a `text` instead, the bare-card envelope,
// Discord's limits kept, its 429 `retry_after` honoured, and a 404 "Unknown
// Webhook" final with the URL not called again.
#include "support/fake_asc.hpp"
#include "support/fake_discord.hpp"
#include "support/fake_teams.hpp"
#include "support/keys.hpp"
#include "support/pipeline.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

namespace asc_webhookd::test {
namespace {

using json = nlohmann::json;

const char* const kUploadId = "c0ffee00-1234-4abc-9def-0123456789ab";

// A fake App Store Connect answering the seed run's failed upload (Apple's
// recorded answer, linked to app 6747000001), and the config around it.
struct Rig {
  KeyPair key = make_p256_key();
  TempDir dir;
  std::string key_file = dir.write("AuthKey.p8", key.private_pem);
  FakeAsc asc{key.public_pem, kAscKeyId, kAscIssuer};

  Rig() {
    json upload = json::parse(fixture("api/buildUploads-FAILED.json"));
    upload["data"]["relationships"]["app"] = {{"data", {{"type", "apps"}, {"id", "6747000001"}}}};
    asc.serve(std::string("/v1/buildUploads/") + kUploadId, upload);
  }
  std::string config(const std::string& connections, const std::string& action, const std::string& backoff = "100ms") const {
    return basic_config("", "app_store_connect:\n  issuer_id: " + std::string(kAscIssuer) + "\n  key_id: " + kAscKeyId +
                                "\n  private_key: \"${file:" + key_file + "}\"\n  base_url: " + asc.base_url() +
                                "\ndelivery:\n  initial_backoff: " + backoff + "\n  max_backoff: 2h\nconnections:\n" + connections +
                                "rules:\n  - name: tell\n    when: { event: \"*\" }\n    actions:\n" + action);
  }
};

std::optional<store::EventView> post_failed_upload(TestServer& server, const std::string& id = "failed-upload") {
  std::string body = fixture("events/seed/02-buildUploadStateUpdated-FAILED.json");
  auto j = json::parse(body);
  j["data"]["id"] = id;
  if (post_signed(server.port(), "app", j.dump(), "s3cret").status != 200) return std::nullopt;
  return wait_event(server.store(), id, settled);
}

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

// Every event type Apple sends gets a card Teams' flow posts and an embed
// Discord accepts (the fakes check both as the services do).
TEST(TeamsAndDiscord, TheBuiltInMessageOfEveryEventTypeIsAccepted) {
  FakeTeams teams;
  FakeDiscord discord;
  const std::string url = discord.add_webhook("99", "tok");
  TestServer server(basic_config("", "connections:\n  teams:\n    t:\n      webhook_url: \"" + teams.url() +
                                         "\"\n  discord:\n    d:\n      webhook_url: \"" + url +
                                         "\"\nrules:\n  - name: all\n    when: { event: \"*\" }\n    actions:\n"
                                         "      - teams: { connection: t }\n      - discord: { connection: d }\n"));
  std::vector<std::string> ids;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(ASC_WEBHOOKD_FIXTURES) + "/events")) {
    if (entry.path().extension() != ".json") continue;
    const std::string id = "chat-" + entry.path().stem().string();
    ASSERT_EQ(post_signed(server.port(), "app", fixture_event("events/" + entry.path().filename().string(), id), "s3cret").status, 200);
    ids.push_back(id);
  }
  ASSERT_EQ(ids.size(), 14u);
  for (const auto& id : ids) {
    auto ev = wait_event(server.store(), id, settled);
    ASSERT_TRUE(ev) << id;
    for (const auto& j : ev->jobs) EXPECT_EQ(j.state, "done") << id << ": " << j.last_error;
  }
  const auto runs = teams.runs();
  ASSERT_EQ(runs.size(), ids.size());
  for (const auto& r : runs) EXPECT_EQ(r.error, "") << r.card.dump();
  ASSERT_EQ(discord.messages().size(), ids.size());
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
