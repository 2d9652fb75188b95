// Several replicas on one PostgreSQL, through the real binary: two daemons
// with the same store.url share dedupe, the queue, the operator's view, the
// Slack threads and the reconcile pass (one at a time).
#include "replica.hpp"

#include "support/fake_apple_reviews.hpp"
#include "support/fake_apple_webhooks.hpp"
#include "support/fake_asc.hpp"
#include "support/fake_slack.hpp"
#include "support/keys.hpp"

#include "support/postgres.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace asc_webhookd::test {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

TEST(Replicas, TwoDaemonsOnOneDatabaseDedupeTogetherAndDeliverEachJobOnce) {
  const std::string url = fresh_postgres_database();
  FakeHttpServer sink;
  Replica a(url, sink.url("/sink")), b(url, sink.url("/sink"));
  ASSERT_NE(a.port, 0) << a.daemon->log();
  ASSERT_NE(b.port, 0) << b.daemon->log();

  // Each event to one replica, then its copy to the other: the copy is a
  // duplicate whichever replica stored the first.
  constexpr int kEvents = 40;
  for (int i = 0; i < kEvents; ++i) {
    const auto body = upload_event("rep-" + std::to_string(i), "u-" + std::to_string(i));
    const Replica& first = i % 2 ? a : b;
    const Replica& second = i % 2 ? b : a;
    auto stored = first.post(body);
    ASSERT_EQ(stored.status, 200) << stored.body;
    EXPECT_EQ(json::parse(stored.body)["status"], "accepted") << stored.body;
    auto again = second.post(body);
    ASSERT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(json::parse(again.body)["status"], "duplicate") << again.body;
  }
  ASSERT_TRUE(sink.wait_for(kEvents)) << a.daemon->log() << b.daemon->log();
  std::this_thread::sleep_for(500ms);  // a second delivery would come within the wake-up
  std::multiset<std::string> delivered;
  for (const auto& r : sink.requests()) delivered.insert(id_of(r.body));
  EXPECT_EQ(delivered.size(), static_cast<std::size_t>(kEvents)) << "a job was delivered twice";
  for (int i = 0; i < kEvents; ++i) EXPECT_EQ(delivered.count("rep-" + std::to_string(i)), 1u) << i;

  // The operator's commands see the whole store, from either replica's config.
  auto env = kReplicaEnv;
  env["STORE_URL"] = url;
  auto listed = run_binary({"events", "--config", b.config_path, "--limit", "100"}, env);
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  for (int i = 0; i < kEvents; ++i) EXPECT_NE(listed.out.find("rep-" + std::to_string(i) + "\t"), std::string::npos) << i;
  EXPECT_EQ(listed.out.find("replica-secret"), std::string::npos);
}

// A Slack thread per version, whichever replica delivers each message: the
// thread's parent is kept in the shared store, so three states of each of
// four versions, sent to two replicas in turn, make four threads.
TEST(Replicas, TwoReplicasKeepOneSlackThreadPerVersion) {
  const std::string url = fresh_postgres_database();
  FakeSlack slack;
  slack.add_channel("#ios-releases", "C0RELEASES");
  const std::string sections = "connections:\n  slack:\n    bot:\n      bot_token: " + std::string(FakeSlack::kBotToken) +
                               "\n      api_url: " + slack.api_url() + "\n";
  const std::string rules =
      "rules:\n  - name: review-news\n    when: { event: appStoreVersionAppVersionStateUpdated }\n    actions:\n"
      "      - slack: { connection: bot, channel: \"#ios-releases\", thread: per_instance }\n";
  Replica a(url, sections, rules), b(url, sections, rules);
  ASSERT_NE(a.port, 0) << a.daemon->log();
  ASSERT_NE(b.port, 0) << b.daemon->log();
  const char* states[] = {"WAITING_FOR_REVIEW", "IN_REVIEW", "READY_FOR_DISTRIBUTION"};
  constexpr int kVersions = 4;
  int n = 0;
  for (const char* state : states)
    for (int v = 0; v < kVersions; ++v) {
      const std::string id = "th-" + std::to_string(n);
      const auto body = fixture_event("events/appStoreVersionAppVersionStateUpdated.json", id,
                                      "version-" + std::to_string(v), state);
      ASSERT_EQ((n++ % 2 ? a : b).post(body).status, 200);
    }
  std::vector<FakeSlack::Message> msgs;
  for (int wait = 0; wait < 300 && msgs.size() < 3 * kVersions; ++wait) {
    msgs = slack.messages();
    if (msgs.size() < 3 * kVersions) std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(msgs.size(), static_cast<std::size_t>(3 * kVersions)) << a.daemon->log() << b.daemon->log();
  auto version_of = [](const FakeSlack::Message& m) {
    const std::string all = m.text + m.blocks.dump();
    for (int v = 0; v < kVersions; ++v)
      if (all.find("version-" + std::to_string(v)) != std::string::npos) return v;
    return -1;
  };
  std::map<int, std::string> parent;  // version → its thread's ts
  for (const auto& m : msgs)
    if (m.thread_ts.empty()) {
      EXPECT_TRUE(parent.emplace(version_of(m), m.ts).second) << "a second thread for a version";
    }
  EXPECT_EQ(parent.size(), static_cast<std::size_t>(kVersions));
  for (const auto& m : msgs)
    if (!m.thread_ts.empty()) {
      EXPECT_EQ(m.thread_ts, parent[version_of(m)]) << m.text;
    }
}

// One reconcile pass at a time across replicas, shown by Apple's side:
// while one replica's pass waits on a page of the delivery log, the other
// replica's passes do not start (it says so), and no listing arrives; the
// watermark is shared, so the missed events are stored once.
TEST(Replicas, OneReconcilePassAtATimeAcrossReplicas) {
  const std::string url = fresh_postgres_database();
  KeyPair key = make_p256_key();
  FakeAsc asc{key.public_pem, kAscKeyId, kAscIssuer};
  FakeAppleWebhooks apple{asc};
  FakeHttpServer sink;
  apple.add_app("1234567890");
  // Apple's deliveries to a URL nobody answers: FAILED, for reconcile to find.
  const std::string hook = apple.add_hook("1234567890", "http://127.0.0.1:1/webhooks/ios-app", "replica-secret");
  for (const char* id : {"rc-1", "rc-2", "rc-3"}) apple.deliver(hook, upload_event(id, std::string("u-") + id));
  apple.set_page_size(1);
  apple.hold_listing_at(1);  // the first pass waits for Apple on its second page
  TempDir keys;
  const std::string sections = "reconcile:\n  interval: 1s\napp_store_connect:\n  issuer_id: " + std::string(kAscIssuer) +
                               "\n  key_id: " + kAscKeyId + "\n  private_key: \"${file:" +
                               keys.write("AuthKey.p8", key.private_pem) + "}\"\n  base_url: " + asc.base_url() + "\n";
  const std::string webhook = "    apple:\n      app_id: \"1234567890\"\n      webhook_id: " + hook + "\n";
  // Build uploads only: each replica's first verdict on Apple's webhook
  // (its newest deliveries failed) is an alert of its own, not counted here.
  const std::string rules = "rules:\n  - name: forward\n    when: { event: buildUploadStateUpdated }\n    actions:\n"
                            "      - http: { url: \"" + sink.url("/sink") + "\" }\n";
  Replica a(url, sections, rules, webhook), b(url, sections, rules, webhook);
  ASSERT_NE(a.port, 0) << a.daemon->log();
  ASSERT_NE(b.port, 0) << b.daemon->log();

  ASSERT_TRUE(apple.wait_held()) << a.daemon->log() << b.daemon->log();
  const auto listed_at_hold = apple.listing_queries().size();
  std::this_thread::sleep_for(3500ms);  // three intervals of both replicas
  EXPECT_EQ(apple.listing_queries().size(), listed_at_hold) << "a second pass listed while the first was under way";
  const bool a_waited = a.daemon->log().find("another replica is running reconcile now") != std::string::npos;
  const bool b_waited = b.daemon->log().find("another replica is running reconcile now") != std::string::npos;
  EXPECT_TRUE(a_waited != b_waited) << "exactly one replica (the one not leading) waits\n"
                                    << a.daemon->log() << b.daemon->log();
  apple.release_listing();

  ASSERT_TRUE(sink.wait_for(3)) << a.daemon->log() << b.daemon->log();
  std::this_thread::sleep_for(2500ms);  // later passes, led by either replica, find them stored
  EXPECT_EQ(sink.count(), 3u);
  EXPECT_EQ(postgres_number(url, "SELECT count(*) FROM events WHERE source = 'reconcile'"), 3);
  EXPECT_GT(apple.listing_queries().size(), listed_at_hold + 3) << "the passes went on after the release";
}

// The review poller on two replicas: while one replica's pass waits on a
// page of the review list, the other's pass does not start (it says so);
// every review is stored and delivered once.
TEST(Replicas, OneReviewPassAtATimeAcrossReplicasAndEachReviewOnce) {
  const std::string url = fresh_postgres_database();
  KeyPair key = make_p256_key();
  FakeAsc asc{key.public_pem, kAscKeyId, kAscIssuer};
  FakeAppleReviews reviews{asc, "1234567890"};
  FakeHttpServer sink;
  for (int i = 0; i < 3; ++i) reviews.add(1 + i, std::chrono::hours(3 - i));
  reviews.set_page_size(1);
  reviews.hold_listing_at(1);  // the first pass waits for Apple on its second page
  TempDir keys;
  const std::string sections = "app_store_connect:\n  issuer_id: " + std::string(kAscIssuer) + "\n  key_id: " + kAscKeyId +
                               "\n  private_key: \"${file:" + keys.write("AuthKey.p8", key.private_pem) +
                               "}\"\n  base_url: " + asc.base_url() + "\n";
  const std::string webhook = "    apple:\n      app_id: \"1234567890\"\n      reviews: { interval: 15m }\n";
  const std::string rules = "rules:\n  - name: forward\n    actions:\n      - http: { url: \"" + sink.url("/sink") + "\" }\n";
  Replica a(url, sections, rules, webhook), b(url, sections, rules, webhook);
  ASSERT_NE(a.port, 0) << a.daemon->log();
  ASSERT_NE(b.port, 0) << b.daemon->log();

  ASSERT_TRUE(reviews.wait_held()) << a.daemon->log() << b.daemon->log();
  bool waited = false;
  for (int i = 0; i < 200 && !waited; ++i) {
    waited = a.daemon->log().find("another replica is running reviews now") != std::string::npos ||
             b.daemon->log().find("another replica is running reviews now") != std::string::npos;
    if (!waited) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(waited) << a.daemon->log() << b.daemon->log();
  EXPECT_EQ(reviews.listing_queries().size(), 1u) << "a second pass listed while the first was under way";
  reviews.release_listing();

  ASSERT_TRUE(sink.wait_for(3)) << a.daemon->log() << b.daemon->log();
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(sink.count(), 3u);
  EXPECT_EQ(postgres_number(url, "SELECT count(*) FROM events WHERE source = 'poll'"), 3);
}

}  // namespace
}  // namespace asc_webhookd::test
