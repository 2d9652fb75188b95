// Slack actions through the real delivery engine against the fake Slack:
// the built-in message for every event type, a thread of three events on
// one instance with the parent kept up to date, ok:false handling and
// Slack's limits.
#include "support/fake_slack.hpp"
#include "support/pipeline.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

namespace asc_webhookd::test {
namespace {

using json = nlohmann::json;

std::string webhook_connection(const FakeSlack& slack) {
  return "connections:\n  slack:\n    hook:\n      webhook_url: " + slack.webhook_url() + "\n    bot:\n      bot_token: " +
         FakeSlack::kBotToken + "\n      api_url: " + slack.api_url() + "\n";
}

// Every event → the built-in message on the incoming webhook.
const char* const kEverythingToHook = R"(rules:
  - name: everything
    when: { event: "*" }
    actions:
      - slack: { connection: hook }
)";

TEST(SlackAction, BuiltInMessageForEveryEventType) {
  FakeSlack slack;
  TestServer server(basic_config("", webhook_connection(slack) + kEverythingToHook));
  std::vector<std::string> ids;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(ASC_WEBHOOKD_FIXTURES) + "/events")) {
    if (entry.path().extension() != ".json") continue;
    std::string id = "slack-" + entry.path().stem().string();
    ASSERT_EQ(post_signed(server.port(), "app", fixture_event("events/" + entry.path().filename().string(), id), "s3cret").status, 200);
    ids.push_back(id);
  }
  ASSERT_EQ(ids.size(), 16u);  // every type Apple sends (a version event twice: REJECTED), the ping, two reviews
  for (const auto& id : ids) {
    auto ev = wait_event(server.store(), id, settled);
    ASSERT_TRUE(ev) << id;
    EXPECT_EQ(ev->jobs.at(0).state, "done") << id << ": " << ev->jobs.at(0).last_error;
  }
  auto posts = slack.webhook_posts();
  ASSERT_EQ(posts.size(), ids.size());
  for (const auto& p : posts) {
    ASSERT_TRUE(p.contains("text")) << p.dump();
    EXPECT_FALSE(p["text"].get<std::string>().empty());
    EXPECT_EQ(block_kit_problem(p["blocks"]), "");
    EXPECT_EQ(p["blocks"][0]["type"], "header");
    EXPECT_EQ(p["blocks"].back()["type"], "context");
    const std::string context = p["blocks"].back()["elements"][0]["text"];
    bool names_an_event = false;
    for (const auto& id : ids) names_an_event = names_an_event || context.find("`" + id + "`") != std::string::npos;
    EXPECT_TRUE(names_an_event) << context;
  }
  // The emoji follows the state.
  auto header_of = [&](const std::string& type) {
    for (const auto& p : posts)
      if (p["blocks"].back()["elements"][0]["text"].get<std::string>().find(type) != std::string::npos)
        return p["blocks"][0]["text"]["text"].get<std::string>();
    return std::string();
  };
  EXPECT_NE(header_of("betaFeedbackCrashSubmissionCreated").find("💥"), std::string::npos);
  EXPECT_NE(header_of("webhookPingCreated").find("🏓"), std::string::npos);
}

TEST(SlackAction, StateEmojiForFailedRejectedAndReleased) {
  FakeSlack slack;
  TestServer server(basic_config("", webhook_connection(slack) + kEverythingToHook));
  const std::vector<std::tuple<std::string, std::string, std::string>> cases{
      {"events/buildUploadStateUpdated.json", "FAILED", "⚠️"},
      {"events/appStoreVersionAppVersionStateUpdated.json", "REJECTED", "❌"},
      {"events/appStoreVersionAppVersionStateUpdated.json", "READY_FOR_DISTRIBUTION", "✅"}};
  int n = 0;
  for (const auto& [file, state, emoji] : cases) {
    std::string id = "emoji-" + std::to_string(n++);
    ASSERT_EQ(post_signed(server.port(), "app", fixture_event(file, id, id, state), "s3cret").status, 200);
    ASSERT_TRUE(wait_event(server.store(), id, settled));
  }
  auto posts = slack.webhook_posts();
  ASSERT_EQ(posts.size(), 3u);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const std::string header = posts[i]["blocks"][0]["text"]["text"];
    EXPECT_EQ(header.rfind(std::get<2>(cases[i]), 0), 0u) << header;
  }
  EXPECT_NE(posts[1]["text"].get<std::string>().find("→ Rejected"), std::string::npos) << posts[1]["text"];
}

TEST(SlackAction, ThreadOfThreeEventsOnOneInstanceWithParentUpdated) {
  FakeSlack slack;
  slack.add_channel("#ios-releases", "C0RELEASES");
  TestServer server(basic_config("", webhook_connection(slack) + R"(rules:
  - name: review-news
    when: { event: appStoreVersionAppVersionStateUpdated }
    actions:
      - slack: { connection: bot, channel: "#ios-releases", thread: per_instance, update_parent: true }
)"));
  const char* states[] = {"WAITING_FOR_REVIEW", "IN_REVIEW", "READY_FOR_DISTRIBUTION"};
  for (int i = 0; i < 3; ++i) {
    std::string id = "thread-" + std::to_string(i);
    ASSERT_EQ(post_signed(server.port(), "app", fixture_event("events/appStoreVersionAppVersionStateUpdated.json", id, "version-7", states[i]), "s3cret").status, 200);
  }
  for (int i = 0; i < 3; ++i) {
    auto ev = wait_event(server.store(), "thread-" + std::to_string(i), settled);
    ASSERT_TRUE(ev);
    EXPECT_EQ(ev->jobs.at(0).state, "done") << ev->jobs.at(0).last_error;
  }
  auto msgs = slack.messages();
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(msgs[0].thread_ts, "");  // the first message starts the thread
  EXPECT_EQ(msgs[0].channel, "C0RELEASES");
  EXPECT_EQ(msgs[1].thread_ts, msgs[0].ts);
  EXPECT_EQ(msgs[2].thread_ts, msgs[0].ts);
  EXPECT_NE(msgs[1].text.find("In Review"), std::string::npos) << msgs[1].text;
  // The parent shows the latest state.
  EXPECT_EQ(msgs[0].updates, 2);
  EXPECT_NE(msgs[0].text.find("Ready for Distribution"), std::string::npos) << msgs[0].text;
  // Another instance starts its own thread.
  ASSERT_EQ(post_signed(server.port(), "app", fixture_event("events/appStoreVersionAppVersionStateUpdated.json", "thread-other", "version-8", "IN_REVIEW"), "s3cret").status, 200);
  ASSERT_TRUE(wait_event(server.store(), "thread-other", settled));
  msgs = slack.messages();
  ASSERT_EQ(msgs.size(), 4u);
  EXPECT_EQ(msgs[3].thread_ts, "");
}

TEST(SlackAction, OkFalseIsFinalAndRateLimitIsRetriedAfterRetryAfter) {
  ManualClock clock;
  FakeSlack slack;
  slack.add_channel("#ios", "C0IOS");
  slack.add_channel("#old", "C0OLD", /*archived=*/true);
  TestServer server(basic_config("", webhook_connection(slack) + R"(delivery:
  initial_backoff: 100ms
rules:
  - name: missing
    when: { event: webhookPingCreated }
    actions:
      - slack: { connection: bot, channel: "#nowhere", text: "hi" }
      - slack: { connection: bot, channel: "#old", text: "hi" }
  - name: limited
    when: { event: buildUploadStateUpdated }
    actions:
      - slack: { connection: bot, channel: "#ios", text: "upload {{event.new_state}}" }
)"), {.threads = 2, .vfs = "", .clock = &clock});
  ASSERT_EQ(post_signed(server.port(), "app", fixture_event("events/webhookPingCreated.json", "slack-nf"), "s3cret").status, 200);
  auto ev = wait_event(server.store(), "slack-nf", settled);
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->jobs[0].state, "dead");
  EXPECT_EQ(ev->jobs[0].attempts, 1);
  EXPECT_NE(ev->jobs[0].last_error.find("slack: channel_not_found"), std::string::npos) << ev->jobs[0].last_error;
  EXPECT_NE(ev->jobs[1].last_error.find("slack: is_archived"), std::string::npos) << ev->jobs[1].last_error;

  slack.server.push({429, {{"Retry-After", "1"}, {"Content-Type", "application/json"}}, R"({"ok":false,"error":"ratelimited"})", {}});
  ASSERT_EQ(post_signed(server.port(), "app", fixture_event("events/buildUploadStateUpdated.json", "slack-429"), "s3cret").status, 200);
  ASSERT_TRUE(wait_event(server.store(), "slack-429", [](const auto& e) { return e.jobs.at(0).attempts == 1; }));
  clock.advance(std::chrono::seconds(1));  // what Retry-After asked for
  ev = wait_event(server.store(), "slack-429", settled);
  ASSERT_TRUE(ev);
  const auto& job = ev->jobs.at(0);
  EXPECT_EQ(job.state, "done") << job.last_error;
  ASSERT_EQ(job.attempt_log.size(), 2u);
  EXPECT_EQ(job.attempt_log[0].http_status, 429);
  // Retry-After: 1 wins over the 100 ms backoff.
  EXPECT_GE(job.attempt_log[1].started_at_ms - job.attempt_log[0].started_at_ms, 950);
  ASSERT_EQ(slack.messages().size(), 1u);
}

TEST(SlackAction, CustomBlocksAreRenderedAndGetATextFallback) {
  FakeSlack slack;
  slack.add_channel("#ios", "C0IOS");
  TestServer server(basic_config("", webhook_connection(slack) + R"(rules:
  - name: custom
    when: { event: buildUploadStateUpdated }
    actions:
      - slack:
          connection: bot
          channel: "#ios"
          blocks:
            - type: section
              text: { type: mrkdwn, text: "*Upload* {{event.instance.id}} is {{event.new_state}}" }
)"));
  ASSERT_EQ(post_signed(server.port(), "app", fixture_event("events/buildUploadStateUpdated.json", "blocks-1", "up-9", "FAILED"), "s3cret").status, 200);
  auto ev = wait_event(server.store(), "blocks-1", settled);
  ASSERT_TRUE(ev);
  ASSERT_EQ(ev->jobs.at(0).state, "done") << ev->jobs.at(0).last_error;
  auto msgs = slack.messages();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].blocks, json::parse(R"([{"type":"section","text":{"type":"mrkdwn","text":"*Upload* up-9 is FAILED"}}])"));
  EXPECT_NE(msgs[0].text.find("Failed"), std::string::npos) << msgs[0].text;  // the built-in text as fallback
}

TEST(SlackAction, LongTextAndLongNamesAreCutNotRefused) {
  FakeSlack slack;
  slack.add_channel("#ios", "C0IOS");
  std::string long_text;
  for (int i = 0; i < 21000; ++i) long_text += "é";  // 42,000 bytes
  std::string long_name(400, 'A');
  TestServer server("server:\n  listen: 127.0.0.1:0\nwebhooks:\n  - name: app\n    secret: s3cret\n    app_name: " + long_name + "\n" +
                    webhook_connection(slack) + "rules:\n  - name: long\n    when: { event: webhookPingCreated }\n    actions:\n"
                    "      - slack: { connection: bot, channel: \"#ios\", text: \"" + long_text + "\" }\n"
                    "      - slack: { connection: hook }\n");
  ASSERT_EQ(post_signed(server.port(), "app", fixture_event("events/webhookPingCreated.json", "slack-long"), "s3cret").status, 200);
  auto ev = wait_event(server.store(), "slack-long", settled);
  ASSERT_TRUE(ev);
  for (const auto& j : ev->jobs) EXPECT_EQ(j.state, "done") << j.last_error;
  auto msgs = slack.messages();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_LE(msgs[0].text.size(), 40000u);
  EXPECT_GT(msgs[0].text.size(), 39000u);
  EXPECT_EQ(json::parse(json(msgs[0].text).dump()).get<std::string>(), msgs[0].text);  // still valid UTF-8
  auto posts = slack.webhook_posts();
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_LE(posts[0]["blocks"][0]["text"]["text"].get<std::string>().size(), 150u);
}

}  // namespace
}  // namespace asc_webhookd::test
