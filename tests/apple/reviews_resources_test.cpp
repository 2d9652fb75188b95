// Apple's customer review documents read into structs (the list answer of
// the reference notes, with its included response), the reply body, the
// X-Rate-Limit header in every form Apple sends it, and the review event
// the poller writes read back by the event decoder.
#include "asc_webhookd/apple/access.hpp"
#include "asc_webhookd/apple/reviews.hpp"
#include "asc_webhookd/apple/territories.hpp"
#include "asc_webhookd/event/review.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace asc_webhookd::apple {
namespace {

using nlohmann::json;

json api_fixture(const std::string& name) {
  std::ifstream in(std::string(ASC_WEBHOOKD_FIXTURES) + "/api/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return json::parse(s.str());
}

TEST(ReviewResources, AListPageJoinsEachReviewWithItsIncludedResponse) {
  auto page = decode_review_page(api_fixture("customerReviews-page.json"), "1234567890");
  ASSERT_TRUE(page) << page.error().message;
  ASSERT_EQ(page->reviews.size(), 2u);
  const auto& answered = page->reviews[0];
  EXPECT_EQ(answered.id, "00000070-1c2e-0014-9a31-7b4200000000");
  EXPECT_EQ(answered.review.rating, 2);
  EXPECT_EQ(answered.review.territory, "GBR");
  EXPECT_EQ(answered.review.nickname, "harbourwalker");
  EXPECT_EQ(answered.review.app_id, "1234567890");
  // 2026-08-21T07:14:52-07:00 is 14:14:52 UTC.
  EXPECT_EQ(answered.created_ms, 1787321692000);
  ASSERT_TRUE(answered.response);
  EXPECT_EQ(answered.response->state, "PUBLISHED");
  EXPECT_EQ(answered.review.response.value_or(""), answered.response->text);
  EXPECT_FALSE(page->reviews[1].response);  // only links: no reply
  EXPECT_EQ(page->next.rfind("https://api.appstoreconnect.apple.com/v1/apps/1234567890/customerReviews?cursor=", 0), 0u);
}

TEST(ReviewResources, AReviewWithoutARatingIsNamedInTheError) {
  json doc = api_fixture("customerReviews-page.json");
  doc["data"][1]["attributes"].erase("rating");
  auto page = decode_review_page(doc, "1");
  ASSERT_FALSE(page);
  EXPECT_EQ(page.error().message, "review 00000070-1c2d-0014-2f88-0c9100000000 in Apple's answer has no rating from 1 to 5");
  EXPECT_FALSE(decode_review_page(json::object(), "1"));
}

TEST(ReviewResources, TheReplyBodyIsTheDocumentedCreateRequest) {
  EXPECT_EQ(review_reply_body("r-1", "Thanks"),
            json::parse(R"({"data":{"type":"customerReviewResponses","attributes":{"responseBody":"Thanks"},
                           "relationships":{"review":{"data":{"type":"customerReviews","id":"r-1"}}}}})"));
}

TEST(ReviewResources, RateLimitHeaderInEveryFormApplesSends) {
  auto r = parse_rate_limit("user-hour-lim:3500;user-hour-rem:500;");
  EXPECT_EQ(r.limit.value_or(-1), 3500);
  EXPECT_EQ(r.remaining.value_or(-1), 500);
  EXPECT_FALSE(r.low());
  r = parse_rate_limit("user-hour-rem:100;user-hour-lim:3600");  // either order, no trailing ';'
  EXPECT_EQ(r.remaining.value_or(-1), 100);
  EXPECT_TRUE(r.low());
  r = parse_rate_limit("something-new:1;user-hour-rem:x;");
  EXPECT_FALSE(r.remaining);
  EXPECT_FALSE(r.low());
  EXPECT_FALSE(parse_rate_limit("").limit);
}

TEST(ReviewResources, TerritoriesAreApplesAlpha3Codes) {
  EXPECT_EQ(territory_codes().size(), 233u);
  EXPECT_TRUE(is_territory_code("USA"));
  EXPECT_TRUE(is_territory_code("XKS"));
  EXPECT_FALSE(is_territory_code("US"));
  EXPECT_FALSE(is_territory_code("usa"));
}

TEST(ReviewEvent, ThePollersBodyDecodesIntoAReviewEvent) {
  event::Review r;
  r.rating = 4;
  r.title = "Good";
  r.body = "Works \xff well";  // invalid UTF-8 from Apple: replaced, not refused
  r.territory = "DEU";
  r.created = "2026-08-20T22:03:09-07:00";
  r.app_id = "42";
  const std::string body = event::review_event_body("rev-1", r, "https://api.appstoreconnect.apple.com");
  auto ev = event::decode_event(body);
  ASSERT_TRUE(ev) << ev.error().message;
  EXPECT_EQ(ev->type_name, "customerReviewCreated");
  EXPECT_EQ(ev->type, event::EventType::customer_review_created);
  EXPECT_EQ(ev->id, "rev-1");
  ASSERT_TRUE(ev->instance);
  EXPECT_EQ(ev->instance->type, "customerReviews");
  EXPECT_EQ(ev->instance->id, "rev-1");
  ASSERT_TRUE(ev->timestamp);
  ASSERT_TRUE(ev->review);
  EXPECT_EQ(ev->review->rating, 4);
  EXPECT_EQ(ev->review->body, "Works \xef\xbf\xbd well");
  EXPECT_FALSE(ev->review->response);
  EXPECT_EQ(event::stars(4), "★★★★☆");

  auto bad = event::decode_event(R"({"data":{"type":"customerReviewCreated","id":"x"},"review":{"rating":9}})");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "review.rating must be a whole number from 1 to 5");
}

}  // namespace
}  // namespace asc_webhookd::apple
