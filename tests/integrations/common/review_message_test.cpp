// The built-in review message of Slack, Teams and Discord: stars, title,
// body, territory, nickname and the link, read from the same template data
// the delivery engine builds; a long body is cut with "…"; no lookup error
// line (a review event needs none).
#include "asc_webhookd/event/review.hpp"
#include "asc_webhookd/integrations/discord/embed.hpp"
#include "asc_webhookd/integrations/slack/message.hpp"
#include "asc_webhookd/integrations/teams/card.hpp"
#include "asc_webhookd/rules/template.hpp"

#include "support/fake_slack.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace asc_webhookd::test {
namespace {

using nlohmann::json;

json context_of(const std::string& body) {
  auto ev = event::decode_event(body);
  if (!ev) throw std::runtime_error(ev.error().message);
  config::WebhookConfig hook;
  hook.name = "ios-app";
  hook.app_name = "Trips";
  json c = rules::template_context(*ev, &hook, "reviews");
  c["enrichment"] = {{"error", ""}};
  rules::add_links(c);
  return c;
}

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(ASC_WEBHOOKD_FIXTURES) + "/events/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ReviewMessage, SlackTeamsAndDiscordShowTheReviewAndItsLink) {
  const json c = context_of(fixture("customerReviewCreated-1star.json"));
  EXPECT_EQ(c["review"]["stars"], "★☆☆☆☆");
  EXPECT_EQ(c["links"]["review"], "https://appstoreconnect.apple.com/apps/1234567890/distribution/activity/ios/ratingsResponses");
  for (const std::string& text : {actions::builtin_slack_message(c).dump(), actions::builtin_teams_card(c).dump(),
                                 actions::builtin_discord_message(c).dump()}) {
    for (const char* part : {"★☆☆☆☆", "Crashes when I open a saved trip", "closes as soon as I tap a saved trip", "GBR",
                             "harbourwalker", "ratingsResponses"})
      EXPECT_NE(text.find(part), std::string::npos) << part << " missing from " << text;
    EXPECT_EQ(text.find("unavailable"), std::string::npos) << text;
  }
  const json slack = actions::builtin_slack_message(c);
  EXPECT_EQ(block_kit_problem(slack["blocks"]), "");
  EXPECT_EQ(slack["text"], "👎 Trips: ★☆☆☆☆ “Crashes when I open a saved trip” (GBR)");
}

TEST(ReviewMessage, TheResponseIsShownAndALongBodyIsCut) {
  event::Review r;
  r.rating = 5;
  r.title = "Long";
  r.body = std::string(5000, 'a') + "THE-END";
  r.territory = "USA";
  r.app_id = "1234567890";
  r.response = "Thank you!";
  r.response_state = "PENDING_PUBLISH";
  const json c = context_of(event::review_event_body("r-long", r, "https://api.appstoreconnect.apple.com"));
  const std::string slack = actions::builtin_slack_message(c).dump();
  EXPECT_EQ(slack.find("THE-END"), std::string::npos);
  EXPECT_NE(slack.find("a…"), std::string::npos);
    EXPECT_NE(slack.find("Response (Pending Publish): Thank you!"), std::string::npos) << slack;
  EXPECT_EQ(block_kit_problem(actions::builtin_slack_message(c)["blocks"]), "");
}

}  // namespace
}  // namespace asc_webhookd::test
