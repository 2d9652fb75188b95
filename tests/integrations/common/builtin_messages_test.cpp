// The built-in message of every event type, as each chat integration
// renders it, is accepted by the fake service.
#include "integrations/common/failed_upload_rig.hpp"
#include "support/fake_discord.hpp"
#include "support/fake_teams.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

namespace asc_webhookd::test {
namespace {

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
  ASSERT_EQ(ids.size(), 16u);  // Apple's event types, the ping, a 1-star and a 5-star review
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

}  // namespace
}  // namespace asc_webhookd::test
