// The review conditions of `when`: rating as a number, a list or a bound,
// territory, has_response; what check-config says about a bad bound or a
// territory Apple does not use; events without a review never match them.
#include "asc_webhookd/config/loader.hpp"
#include "asc_webhookd/event/review.hpp"
#include "asc_webhookd/rules/engine.hpp"

#include <gtest/gtest.h>

namespace asc_webhookd::rules {
namespace {

config::LoadResult load(const std::string& when) {
  return config::load_config_string(
      "webhooks:\n  - name: app\n    secret: s3cret\nrules:\n  - name: r\n    when: " + when +
          "\n    actions:\n      - http: { url: \"http://127.0.0.1:9/\" }\n",
      "test.yaml");
}

event::Event review(int rating, const std::string& territory, bool answered) {
  event::Review r;
  r.rating = rating;
  r.territory = territory;
  if (answered) r.response = "Thanks";
  auto ev = event::decode_event(event::review_event_body("r", r, "https://api.appstoreconnect.apple.com"));
  if (!ev) throw std::runtime_error(ev.error().message);
  return *ev;
}

std::vector<int> matching_ratings(const std::string& when) {
  auto loaded = load(when);
  EXPECT_TRUE(loaded.ok()) << loaded.errors_text();
  std::vector<int> out;
  for (int r = 1; r <= 5; ++r)
    if (matches(loaded.config->rules[0].when, "app", review(r, "USA", false))) out.push_back(r);
  return out;
}

TEST(ReviewConditions, RatingIsANumberAListOrABound) {
  EXPECT_EQ(matching_ratings("{ rating: 3 }"), (std::vector<int>{3}));
  EXPECT_EQ(matching_ratings("{ rating: [1, 2] }"), (std::vector<int>{1, 2}));
  EXPECT_EQ(matching_ratings("{ rating: \"<=2\" }"), (std::vector<int>{1, 2}));
  EXPECT_EQ(matching_ratings("{ rating: \">=4\" }"), (std::vector<int>{4, 5}));
  EXPECT_EQ(matching_ratings("{ rating: \"<3\" }"), (std::vector<int>{1, 2}));
  EXPECT_EQ(matching_ratings("{ rating: \">3\" }"), (std::vector<int>{4, 5}));
}

TEST(ReviewConditions, AMalformedBoundIsRefusedWithItsPosition) {
  for (const char* bad : {"\"<=6\"", "\"=>2\"", "0", "[1, 7]", "[]", "\"<1\"", "{ a: 1 }", "two"}) {
    auto loaded = load(std::string("{ rating: ") + bad + " }");
    EXPECT_FALSE(loaded.ok()) << bad;
    EXPECT_NE(loaded.errors_text().find("test.yaml:6:"), std::string::npos) << loaded.errors_text();
    EXPECT_NE(loaded.errors_text().find("when.rating is a star rating from 1 to 5"), std::string::npos) << loaded.errors_text();
  }
}

TEST(ReviewConditions, TerritoryAndHasResponse) {
  auto loaded = load("{ territory: [GBR, DEU], has_response: true }");
  ASSERT_TRUE(loaded.ok()) << loaded.errors_text();
  const auto& when = loaded.config->rules[0].when;
  EXPECT_TRUE(matches(when, "app", review(1, "GBR", true)));
  EXPECT_FALSE(matches(when, "app", review(1, "GBR", false)));
  EXPECT_FALSE(matches(when, "app", review(1, "USA", true)));
}

TEST(ReviewConditions, AnUnknownTerritoryIsAWarningNotAnError) {
  auto loaded = load("{ territory: [UK] }");
  ASSERT_TRUE(loaded.ok()) << loaded.errors_text();
  ASSERT_EQ(loaded.diagnostics.size(), 2u);  // and the inline secret
  bool said = false;
  for (const auto& d : loaded.diagnostics)
    said = said || d.message.find("when.territory \"UK\" is not a territory code App Store Connect uses") != std::string::npos;
  EXPECT_TRUE(said) << loaded.errors_text();
}

TEST(ReviewConditions, AnEventWithoutAReviewNeverMatchesThem) {
  auto up = event::decode_event(R"({"data":{"type":"buildUploadStateUpdated","id":"u"}})");
  ASSERT_TRUE(up);
  for (const char* when : {"{ rating: \">=1\" }", "{ territory: [USA] }", "{ has_response: false }"}) {
    auto loaded = load(when);
    ASSERT_TRUE(loaded.ok()) << loaded.errors_text();
    EXPECT_FALSE(matches(loaded.config->rules[0].when, "app", *up)) << when;
  }
  auto loaded = load("{ event: buildUploadStateUpdated }");
  EXPECT_TRUE(matches(loaded.config->rules[0].when, "app", *up));
}

}  // namespace
}  // namespace asc_webhookd::rules
