// Customer reviews through the real binary: the daemon polls a fake App
// Store Connect that keeps reviews and responses the way Apple does, stores
// each new review as a customerReviewCreated event (source "poll") and
// routes it to a fake Slack; `review poll|show|reply|unreply` work on the
// same fake.
#include "asc_webhookd/store/sqlite_store.hpp"

#include "support/daemon.hpp"
#include "support/fake_apple_reviews.hpp"
#include "support/fake_asc.hpp"
#include "support/fake_slack.hpp"
#include "support/keys.hpp"
#include "support/pipeline.hpp"
#include "support/raw_client.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <set>
#include <thread>

namespace asc_webhookd::test {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

const char* kSecret = "review-loop-secret-51c2";
const char* kApp = "1234567890";
const char* kAdminToken = "review-console-token-83e1f0";
constexpr auto kDay = std::chrono::milliseconds(24h);

// Each review's Slack text names the rule and the review: "LOW <id>".
const char* const kRoutes = R"(rules:
  - name: low
    when: { event: customerReviewCreated, rating: "<=2" }
    actions:
      - slack: { connection: hook, text: "LOW {{review.id}} {{review.stars}} {{review.territory}}" }
  - name: praise-from-britain
    when: { event: customerReviewCreated, rating: [4, 5], territory: [GBR] }
    actions:
      - slack: { connection: hook, text: "GBR {{review.id}}" }
  - name: answered
    when: { event: customerReviewCreated, has_response: true }
    actions:
      - slack: { connection: hook, text: "ANSWERED {{review.id}} {{review.response}}" }
)";

const char* const kEveryReview = R"(rules:
  - name: every-review
    when: { event: customerReviewCreated }
    actions:
      - slack: { connection: hook, text: "REVIEW {{review.id}}" }
)";

struct ReviewWorld {
  TempDir dir;
  KeyPair key = make_p256_key();
  FakeAsc asc{key.public_pem, kAscKeyId, kAscIssuer};
  FakeAppleReviews reviews{asc, kApp};
  FakeSlack slack;
  std::uint16_t port = free_loopback_port();
  std::string key_file = dir.write("AuthKey.p8", key.private_pem);
  std::string config_path;
  std::unique_ptr<Daemon> daemon;
  std::map<std::string, std::string> env{{"HOOK_SECRET", kSecret}, {"ADMIN_TOKEN", kAdminToken}};

  void write_config(const std::string& rules, const std::string& polling = "{ interval: 15m, backfill: 2d }") {
    config_path = dir.write(
        "config.yaml",
        "server:\n  listen: 127.0.0.1:" + std::to_string(port) + "\n  admin_token: ${env:ADMIN_TOKEN}\nstore:\n  path: " + dir.file("state.db") +
            "\napp_store_connect:\n  issuer_id: " + kAscIssuer + "\n  key_id: " + kAscKeyId +
            "\n  private_key: \"${file:" + key_file + "}\"\n  base_url: " + asc.base_url() +
            "\nwebhooks:\n  - name: ios-app\n    secret: ${env:HOOK_SECRET}\n    apple:\n      app_id: \"" + kApp +
            "\"\n      reviews: " + polling + "\nconnections:\n  slack:\n    hook:\n      webhook_url: " +
            slack.webhook_url() + "\n" + rules);
  }
  CommandResult cli(std::vector<std::string> args) const {
    args.push_back("--config");
    args.push_back(config_path);
    return run_binary(args, env);
  }
  void start() {
    daemon = std::make_unique<Daemon>(std::vector<std::string>{"--config", config_path}, env);
    ASSERT_EQ(daemon->wait_listening(), port) << daemon->log();
  }
  void stop() {
    daemon->signal(SIGTERM);
    ASSERT_EQ(daemon->wait_exit(), 0) << daemon->log();
  }
  std::unique_ptr<store::SqliteStore> store() const {
    auto st = store::SqliteStore::open({dir.file("state.db"), ""});
    return st ? std::move(*st) : nullptr;
  }
  // The Slack texts so far, once `n` have arrived (bounded wait).
  std::vector<std::string> texts(std::size_t n) const {
    for (int i = 0; i < 300 && slack.webhook_posts().size() < n; ++i) std::this_thread::sleep_for(50ms);
    std::vector<std::string> out;
    for (const auto& p : slack.webhook_posts()) out.push_back(p.value("text", ""));
    return out;
  }
};

bool stored(store::Store& st, const std::string& id) {
  auto found = st.find_events(id);
  return found && !found->empty();
}

// One console call with the admin token (or `token`).
RawResponse console(std::uint16_t port, const std::string& method, const std::string& target, const std::string& body = "",
                    const std::string& token = kAdminToken) {
  RawClient c(port);
  std::map<std::string, std::string> h{{"Authorization", "Bearer " + token}};
  if (!body.empty()) h["Content-Type"] = "application/json";
  c.send(make_request(method, target, body, h));
  auto r = c.read_response();
  return r ? *r : RawResponse{};
}

bool has(const std::vector<std::string>& texts, const std::string& text) {
  return std::find(texts.begin(), texts.end(), text) != texts.end();
}

// The first pass reaches back `backfill` only; a later pass announces only
// what is newer; a restart announces nothing again.
TEST(Reviews, FirstPassAnnouncesTheBackfillOnlyThenOnlyNewerReviewsAndARestartNothing) {
  ReviewWorld w;
  w.write_config(kEveryReview);
  const std::string old = w.reviews.add(1, 5 * kDay);
  const std::string day = w.reviews.add(2, kDay, "GBR");
  const std::string hours = w.reviews.add(5, 2h);
  w.start();
  auto st = w.store();
  ASSERT_TRUE(st);
  for (const auto& id : {day, hours}) {
    auto ev = wait_event(*st, id, settled);
    ASSERT_TRUE(ev) << id << "\n" << w.daemon->log();
    EXPECT_EQ(ev->source, "poll");
    EXPECT_EQ(ev->type, "customerReviewCreated");
    ASSERT_EQ(ev->jobs.size(), 1u);
    EXPECT_EQ(ev->jobs[0].state, "done") << ev->jobs[0].last_error;
  }
  auto texts = w.texts(2);
  EXPECT_EQ(texts.size(), 2u);
  EXPECT_TRUE(has(texts, "REVIEW " + day));
  EXPECT_TRUE(has(texts, "REVIEW " + hours));
  EXPECT_FALSE(stored(*st, old)) << "a review older than backfill was stored";
  const auto first = w.reviews.listing_queries();
  ASSERT_FALSE(first.empty());
  EXPECT_NE(first[0].find("sort=-createdDate"), std::string::npos) << first[0];
  EXPECT_NE(first[0].find("include=response"), std::string::npos) << first[0];

  // A new review, and one that shows up late with a date before the floor.
  const std::string fresh = w.reviews.add(3, 1min);
  w.reviews.add(4, 4 * kDay);
  auto pass = w.cli({"review", "poll"});
  ASSERT_EQ(pass.exit_code, 0) << pass.err;
  EXPECT_NE(pass.out.find("reviews webhook=ios-app"), std::string::npos) << pass.out;
  EXPECT_NE(pass.out.find(" stored=1 "), std::string::npos) << pass.out;
  ASSERT_TRUE(wait_event(*st, fresh, settled)) << w.daemon->log();
  texts = w.texts(3);
  EXPECT_EQ(texts.size(), 3u);
  EXPECT_TRUE(has(texts, "REVIEW " + fresh));

  // A restart: the first pass finds everything stored.
  w.stop();
  w.start();
  ASSERT_TRUE(w.daemon->wait_log("stored=0")) << w.daemon->log();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(w.slack.webhook_posts().size(), 3u);
  const std::string m = metrics_of(w.port);
  EXPECT_NE(m.find("asc_webhookd_review_polls_total{webhook=\"ios-app\",result=\"ok\"} 1"), std::string::npos) << m;
}

// Paging: a review arriving mid-pass pushes the list down one place, so
// the next page repeats a review already read; it is posted once.
TEST(Reviews, AReviewReadOnTwoPagesIsPostedOnce) {
  ReviewWorld w;
  w.write_config(kEveryReview);
  w.reviews.set_page_size(2);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(w.reviews.add(1 + i % 5, std::chrono::hours(10 - i)));
  FakeAppleReviews::Review late;
  late.id = "00000099-1c2e-0014-9a31-7b4200000000";
  late.rating = 4;
  late.title = "arrived mid-pass";
  w.reviews.arrive_after_page(0, late);
  w.start();
  auto st = w.store();
  ASSERT_TRUE(st);
  for (const auto& id : ids) ASSERT_TRUE(wait_event(*st, id, settled)) << id << "\n" << w.daemon->log();
  ASSERT_TRUE(w.daemon->wait_log("reviews webhook=ios-app")) << w.daemon->log();
  std::this_thread::sleep_for(300ms);
  const auto texts = w.texts(5);
  EXPECT_EQ(texts.size(), 5u);
  EXPECT_EQ(std::set<std::string>(texts.begin(), texts.end()).size(), texts.size());
  // Every page after the first followed Apple's absolute links.next.
  const auto queries = w.reviews.listing_queries();
  ASSERT_EQ(queries.size(), 3u);
  EXPECT_EQ(queries[1].rfind("cursor=AQ.2&", 0), 0u) << queries[1];
  EXPECT_NE(queries[1].find("include=response"), std::string::npos) << queries[1];
  // The review that arrived mid-pass is found by the next one.
  auto pass = w.cli({"review", "poll"});
  ASSERT_EQ(pass.exit_code, 0) << pass.err;
  ASSERT_TRUE(wait_event(*st, late.id, settled));
  EXPECT_EQ(w.texts(6).size(), 6u);
}

TEST(Reviews, RatingTerritoryAndResponseConditionsRouteAsConfigured) {
  ReviewWorld w;
  w.write_config(kRoutes, "{ interval: 15m, backfill: 2d, territories: [USA, GBR, DEU] }");
  const std::string one_usa = w.reviews.add(1, 5h, "USA");
  const std::string two_gbr = w.reviews.add(2, 4h, "GBR");
  const std::string five_gbr = w.reviews.add(5, 3h, "GBR");
  const std::string four_usa = w.reviews.add(4, 2h, "USA");
  const std::string three_deu = w.reviews.add(3, 1h, "DEU");
  const std::string five_fra = w.reviews.add(5, 1h, "FRA");  // not in the territories polled
  w.reviews.seed_response(three_deu, "Thanks!");
  w.start();
  auto st = w.store();
  ASSERT_TRUE(st);
  for (const auto& id : {one_usa, two_gbr, five_gbr, four_usa, three_deu})
    ASSERT_TRUE(wait_event(*st, id, settled)) << id << "\n" << w.daemon->log();
  EXPECT_FALSE(stored(*st, five_fra));
  const auto texts = w.texts(4);
  EXPECT_EQ(texts.size(), 4u);
  EXPECT_TRUE(has(texts, "LOW " + one_usa + " ★☆☆☆☆ USA"));
  EXPECT_TRUE(has(texts, "LOW " + two_gbr + " ★★☆☆☆ GBR"));
  EXPECT_TRUE(has(texts, "GBR " + five_gbr));
  EXPECT_TRUE(has(texts, "ANSWERED " + three_deu + " Thanks!"));
  EXPECT_NE(w.reviews.listing_queries().at(0).find("filter%5Bterritory%5D=USA,GBR,DEU"), std::string::npos)
      << w.reviews.listing_queries().at(0);
}

// Apple rate-limits the daemon's first pass, then fails the next with a
// 500: signed POSTs are stored and answered all along; a later pass stores
// every review once.
TEST(Reviews, A429ThenA500KeepPostsFlowingAndTheNextPassCatchesUp) {
  ReviewWorld w;
  w.write_config(kEveryReview + std::string(R"(  - name: uploads
    when: { event: buildUploadStateUpdated }
    actions:
      - slack: { connection: hook, text: "UPLOAD {{event.id}}" }
)"));
  const std::string a = w.reviews.add(1, 3h), b = w.reviews.add(2, 2h);
  w.reviews.fail_next_listing(FakeAppleReviews::rate_limited());
  w.reviews.fail_next_listing(FakeAsc::error(500, "UNEXPECTED_ERROR", "An unexpected error occurred.",
                                             "An unexpected error occurred on the server side."));
  w.start();
  ASSERT_TRUE(w.daemon->wait_log("RATE_LIMIT_EXCEEDED")) << w.daemon->log();
  EXPECT_EQ(post_signed(w.port, "ios-app", upload_event("up-during-429", "u-1"), kSecret).status, 200);
  auto failed = w.cli({"review", "poll"});
  EXPECT_EQ(failed.exit_code, 3);
  EXPECT_NE(failed.out.find("answered 500: UNEXPECTED_ERROR"), std::string::npos) << failed.out;
  EXPECT_EQ(post_signed(w.port, "ios-app", upload_event("up-during-500", "u-2"), kSecret).status, 200);
  auto caught_up = w.cli({"review", "poll"});
  ASSERT_EQ(caught_up.exit_code, 0) << caught_up.err;
  EXPECT_NE(caught_up.out.find(" stored=2 "), std::string::npos) << caught_up.out;
  auto again = w.cli({"review", "poll"});
  EXPECT_NE(again.out.find(" stored=0 already_stored=2 "), std::string::npos) << again.out;
  auto st = w.store();
  for (const auto& id : {a, b, std::string("up-during-429"), std::string("up-during-500")})
    ASSERT_TRUE(wait_event(*st, id, settled)) << id << "\n" << w.daemon->log();
  const auto texts = w.texts(4);
  EXPECT_EQ(texts.size(), 4u);
  EXPECT_EQ(std::count(texts.begin(), texts.end(), "REVIEW " + a), 1);
  const std::string m = metrics_of(w.port);
  EXPECT_NE(m.find("asc_webhookd_review_polls_total{webhook=\"ios-app\",result=\"rate_limited\"} 1"), std::string::npos) << m;
  EXPECT_NE(w.daemon->log().find("Apple's rate limit: next pass in"), std::string::npos) << w.daemon->log();
}

// `review reply` creates then replaces the response (the request body as
// Apple documents it), `show` reads it back, `unreply` deletes it; Apple's
// refusals come back with Apple's reason.
TEST(ReviewCli, ReplyCreatesThenReplacesAndUnreplyDeletesTheResponse) {
  ReviewWorld w;
  w.write_config(kEveryReview);
  const std::string id = w.reviews.add(2, 1h, "GBR", "Crashes on launch", "Since 2.3 it closes at once.");
  auto shown = w.cli({"review", "show", id});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  auto review = json::parse(shown.out);
  EXPECT_EQ(review["rating"], 2);
  EXPECT_EQ(review["stars"], "★★☆☆☆");
  EXPECT_EQ(review["title"], "Crashes on launch");
  EXPECT_TRUE(review["response"].is_null());

  auto made = w.cli({"review", "reply", id, "--text", "Sorry! 2.3.1 fixes it."});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_NE(made.out.find("PENDING_PUBLISH"), std::string::npos) << made.out;
  ASSERT_EQ(w.reviews.reply_bodies().size(), 1u);
  EXPECT_EQ(w.reviews.reply_bodies()[0],
            json::parse(R"({"data":{"type":"customerReviewResponses","attributes":{"responseBody":"Sorry! 2.3.1 fixes it."},
                            "relationships":{"review":{"data":{"type":"customerReviews","id":")" + id + R"("}}}}})"));
  auto replaced = w.cli({"review", "reply", id, "--text", "Fixed in 2.3.1, out now."});
  ASSERT_EQ(replaced.exit_code, 0) << replaced.err;
  ASSERT_TRUE(w.reviews.response_of(id));
  EXPECT_EQ(w.reviews.response_of(id)->text, "Fixed in 2.3.1, out now.");
  w.reviews.publish(id);
  shown = w.cli({"review", "show", id});
  review = json::parse(shown.out);
  EXPECT_EQ(review["response"]["text"], "Fixed in 2.3.1, out now.");
  EXPECT_EQ(review["response"]["state"], "PUBLISHED");

  const std::string response_id = w.reviews.response_of(id)->id;
  auto removed = w.cli({"review", "unreply", id});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_EQ(w.reviews.deleted(), std::vector<std::string>{response_id});
  EXPECT_FALSE(w.reviews.response_of(id));
  auto nothing = w.cli({"review", "unreply", id});
  EXPECT_EQ(nothing.exit_code, 1);
  EXPECT_NE(nothing.err.find("has no response"), std::string::npos) << nothing.err;

  // Apple's refusals, with Apple's reason.
  auto too_long = w.cli({"review", "reply", id, "--text", std::string(5971, 'x')});
  EXPECT_EQ(too_long.exit_code, 3);
  EXPECT_NE(too_long.err.find("longer than 5970 characters"), std::string::npos) << too_long.err;
  auto unknown = w.cli({"review", "reply", "no-such-review", "--text", "Hi"});
  EXPECT_EQ(unknown.exit_code, 3);
  EXPECT_NE(unknown.err.find("There is no resource of type 'customerReviews' with id 'no-such-review'"), std::string::npos)
      << unknown.err;
  w.reviews.forbid_replies(true);
  auto forbidden = w.cli({"review", "reply", id, "--text", "Hi"});
  EXPECT_EQ(forbidden.exit_code, 3);
  EXPECT_NE(forbidden.err.find("answering reviews needs a key with the Admin role"), std::string::npos) << forbidden.err;
}

// The console's Reply box: PUT creates or replaces the response, DELETE
// removes it, both with the bearer token; each is logged with who did it;
// Apple's refusal comes back with Apple's status and reason.
TEST(ReviewConsole, ReplyAndDeleteWithTheBearerTokenAreLoggedWithWho) {
  ReviewWorld w;
  w.write_config(kEveryReview);
  const std::string id = w.reviews.add(1, 1h, "USA", "Logs me out");
  w.start();
  const std::string path = "/api/v1/reviews/" + id + "/response";
  EXPECT_EQ(console(w.port, "PUT", path, R"({"text":"Fixed"})", "wrong-token").status, 401);
  EXPECT_TRUE(w.reviews.reply_bodies().empty());

  auto made = console(w.port, "PUT", path, R"({"text":"We fixed this in 4.1."})");
  ASSERT_EQ(made.status, 200) << made.body;
  const json answer = json::parse(made.body);
  EXPECT_EQ(answer["state"], "PENDING_PUBLISH");
  ASSERT_TRUE(w.reviews.response_of(id));
  EXPECT_EQ(answer["id"], w.reviews.response_of(id)->id);
  EXPECT_EQ(w.reviews.reply_bodies().at(0)["data"]["attributes"]["responseBody"], "We fixed this in 4.1.");
  auto replaced = console(w.port, "PUT", path, R"({"text":"4.1 is out now."})");
  ASSERT_EQ(replaced.status, 200) << replaced.body;
  EXPECT_EQ(w.reviews.response_of(id)->text, "4.1 is out now.");
  auto shown = console(w.port, "GET", "/api/v1/reviews/" + id);
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_EQ(json::parse(shown.body)["response"]["text"], "4.1 is out now.");

  const std::string response_id = w.reviews.response_of(id)->id;
  auto removed = console(w.port, "DELETE", path);
  ASSERT_EQ(removed.status, 200) << removed.body;
  EXPECT_EQ(json::parse(removed.body)["deleted"], response_id);
  EXPECT_FALSE(w.reviews.response_of(id));
  EXPECT_EQ(console(w.port, "DELETE", path).status, 404);

  ASSERT_TRUE(w.daemon->wait_log("admin review unreply review=" + id)) << w.daemon->log();
  const std::string log = w.daemon->log();
  EXPECT_NE(log.find("admin review reply review=" + id), std::string::npos) << log;
  EXPECT_NE(log.find("remote=127.0.0.1"), std::string::npos) << log;

  // Refusals: a bad body is ours (400); Apple's come with its reason.
  EXPECT_EQ(console(w.port, "PUT", path, R"({"txt":"x"})").status, 400);
  auto unknown = console(w.port, "PUT", "/api/v1/reviews/no-such/response", R"({"text":"Hi"})");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(unknown.body.find("There is no resource of type 'customerReviews'"), std::string::npos) << unknown.body;
  auto too_long = console(w.port, "PUT", path, json{{"text", std::string(6000, 'y')}}.dump());
  EXPECT_EQ(too_long.status, 409);
  EXPECT_NE(too_long.body.find("longer than 5970 characters"), std::string::npos) << too_long.body;
  EXPECT_EQ(w.daemon->log().find(kAdminToken), std::string::npos);
}

}  // namespace
}  // namespace asc_webhookd::test
