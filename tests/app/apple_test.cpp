// Closing the loop with Apple, through the real binary: `apple setup` makes
// (then updates) the webhook in a fake App Store Connect that keeps
// webhooks and a delivery log the way Apple does and really delivers, signed,
// to the daemon; `apple ping` waits for the ping in the store; events Apple
// failed to deliver while the daemon was down are found by reconcile, stored
// once with source "reconcile" and delivered; a 429 never stops ingest.
#include "asc_webhookd/store/sqlite_store.hpp"

#include "support/daemon.hpp"
#include "support/fake_apple_webhooks.hpp"
#include "support/fake_asc.hpp"
#include "support/fake_http.hpp"
#include "support/keys.hpp"
#include "support/pipeline.hpp"
#include "support/raw_client.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <thread>

namespace asc_webhookd::test {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

const char* const kIssuer = kAscIssuer;
const char* const kKid = kAscKeyId;
const char* kSecret = "apple-loop-secret-7f3a";
const char* kApp = "1234567890";

// A fake App Store Connect with one app, the daemon's config around it, and
// the daemon on a port fixed in advance (Apple's side knows the URL even
// while the daemon is down).
struct AppleWorld {
  TempDir dir;
  KeyPair key = make_p256_key();
  FakeAsc asc{key.public_pem, kKid, kIssuer};
  FakeAppleWebhooks apple{asc};
  FakeHttpServer sink;
  std::uint16_t port = free_loopback_port();
  std::string key_file = dir.write("AuthKey.p8", key.private_pem);
  std::string config_path;
  std::unique_ptr<Daemon> daemon;
  std::map<std::string, std::string> env{{"HOOK_SECRET", kSecret}};

  AppleWorld() { apple.add_app(kApp); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port) + "/webhooks/ios-app"; }
  void write_config(const std::string& webhook_id, const std::string& reconcile = "") {
    std::string apple_link = "    apple:\n      app_id: \"" + std::string(kApp) + "\"\n";
    if (!webhook_id.empty()) apple_link += "      webhook_id: " + webhook_id + "\n";
    config_path = dir.write(
        "config.yaml",
        "server:\n  listen: 127.0.0.1:" + std::to_string(port) + "\nstore:\n  path: " + dir.file("state.db") +
            "\n" + reconcile + "app_store_connect:\n  issuer_id: " + kIssuer + "\n  key_id: " + kKid +
            "\n  private_key: \"${file:" + key_file + "}\"\n  base_url: " + asc.base_url() +
            "\nwebhooks:\n  - name: ios-app\n    secret: ${env:HOOK_SECRET}\n" + apple_link +
            // A secret no apple command needs: it must not have to resolve.
            "connections:\n  http:\n    sink: { url: \"" + sink.url("/sink") + "\", headers: { X-Token: \"${env:UNSET_TOKEN}\" } }\n" +
            "rules:\n  - name: forward\n    when: { event: buildUploadStateUpdated }\n    actions:\n      - http: { connection: sink }\n");
  }
  CommandResult cli(std::vector<std::string> args) const {
    args.push_back("--config");
    args.push_back(config_path);
    return run_binary(args, env);
  }
  void start() {
    env["UNSET_TOKEN"] = "sink-token";  // the daemon resolves every secret
    daemon = std::make_unique<Daemon>(std::vector<std::string>{"--config", config_path}, env);
    env.erase("UNSET_TOKEN");
    ASSERT_EQ(daemon->wait_listening(), port) << daemon->log();
  }
  std::unique_ptr<store::SqliteStore> store() const {
    auto st = store::SqliteStore::open({dir.file("state.db"), ""});
    return st ? std::move(*st) : nullptr;
  }
};

TEST(AppleCli, SetupCreatesTheWebhookThenUpdatesItAndNeverPrintsTheSecret) {
  AppleWorld w;
  w.write_config("");
  auto made = w.cli({"apple", "setup", "--webhook", "ios-app", "--url", w.url()});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  auto hooks = w.apple.hooks();
  ASSERT_EQ(hooks.size(), 1u);
  EXPECT_EQ(hooks[0].app_id, kApp);
  EXPECT_EQ(hooks[0].url, w.url());
  EXPECT_EQ(hooks[0].secret, kSecret);
  EXPECT_TRUE(hooks[0].enabled);
  EXPECT_EQ(hooks[0].event_types.size(), 12u);
  EXPECT_NE(made.out.find("created Apple's webhook " + hooks[0].id + " for app " + kApp), std::string::npos) << made.out;
  EXPECT_NE(made.out.find("      webhook_id: " + hooks[0].id + "\n"), std::string::npos) << made.out;
  EXPECT_EQ((made.out + made.err).find(kSecret), std::string::npos);

  // Again, before the config knows the id: the webhook with that URL is updated.
  auto again = w.cli({"apple", "setup", "--webhook", "ios-app", "--url", w.url()});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("updated Apple's webhook " + hooks[0].id), std::string::npos) << again.out;
  EXPECT_EQ(w.apple.hooks().size(), 1u);

  // A fresh secret, written 0600 and never printed; Apple holds the same.
  w.write_config(hooks[0].id);
  const std::string secret_file = w.dir.file("webhook-secret");
  auto fresh = w.cli({"apple", "setup", "--webhook", "ios-app", "--url", w.url(), "--secret-out", secret_file});
  ASSERT_EQ(fresh.exit_code, 0) << fresh.err;
  struct stat sb {};
  ASSERT_EQ(::stat(secret_file.c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0600u);
  const std::string secret = read_file(secret_file);
  EXPECT_EQ(secret.size(), 64u);
  EXPECT_EQ(w.apple.hooks().at(0).secret, secret);
  EXPECT_EQ((fresh.out + fresh.err).find(secret), std::string::npos);
  EXPECT_NE(fresh.out.find("    secret: ${file:" + secret_file + "}"), std::string::npos) << fresh.out;

  auto listed = w.cli({"apple", "webhooks"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find(std::string(kApp) + "\t" + hooks[0].id + "\tasc-webhookd ios-app\t" + w.url() + "\tyes\t12\tios-app\n"),
            std::string::npos) << listed.out;

  // Apple's refusal is shown with its detail.
  w.write_config("");
  auto unknown = w.cli({"apple", "setup", "--webhook", "ios-app", "--url", w.url() + "-2", "--app", "999"});
  EXPECT_EQ(unknown.exit_code, 3);
  EXPECT_NE(unknown.err.find("answered 404: NOT_FOUND: The specified resource does not exist There is no resource of type 'apps' with id '999'"),
            std::string::npos) << unknown.err;
}

TEST(AppleCli, PingExitsZeroOnceThePingIsStoredAndThreeWithApplesReportWhenItIsNot) {
  AppleWorld w;
  w.write_config(w.apple.add_hook(kApp, w.url(), kSecret), "reconcile:\n  interval: 0s\n");
  w.start();
  auto ping = w.cli({"apple", "ping", "--webhook", "ios-app", "--wait", "20s"});
  EXPECT_EQ(ping.exit_code, 0) << ping.out << ping.err;
  EXPECT_NE(ping.out.find("the ping arrived: event ping-"), std::string::npos) << ping.out;

  w.daemon->signal(SIGTERM);
  ASSERT_TRUE(w.daemon->wait_exit());
  auto lost = w.cli({"apple", "ping", "--webhook", "ios-app", "--wait", "1s"});
  EXPECT_EQ(lost.exit_code, 3) << lost.out;
  EXPECT_NE(lost.err.find("no ping reached the store within 1s; Apple's delivery dl-"), std::string::npos) << lost.err;
  EXPECT_NE(lost.err.find(" is FAILED: Failed to connect to the webhook URL"), std::string::npos) << lost.err;
}

TEST(AppleReconcile, EventsAppleFailedToDeliverWhileTheDaemonWasDownAreStoredOnceAndDelivered) {
  AppleWorld w;
  const std::string hook = w.apple.add_hook(kApp, w.url(), kSecret);
  w.apple.set_page_size(2);  // the pass must follow links.next
  w.write_config(hook, "reconcile:\n  interval: 1s\n  window: 3d\n");
  // The daemon is down: Apple's deliveries fail.
  for (const char* id : {"rc-1", "rc-2", "rc-3"}) {
    w.apple.deliver(hook, upload_event(id, std::string("u-") + id));
  }
  w.apple.deliver(hook, fixture("events/webhookPingCreated.json"), true);
  w.apple.log_pending(hook, upload_event("rc-4", "u-rc-4"), 60'000);
  for (const auto& d : w.apple.deliveries()) {
    EXPECT_TRUE(d.state == "FAILED" || d.state == "PENDING") << d.state;
  }

  w.start();
  auto st = w.store();
  ASSERT_TRUE(st);
  for (const char* id : {"rc-1", "rc-2", "rc-3", "rc-4"}) {
    auto ev = wait_event(*st, id, settled);
    ASSERT_TRUE(ev) << id << "\n" << w.daemon->log();
    EXPECT_EQ(ev->source, "reconcile");
    ASSERT_EQ(ev->jobs.size(), 1u);
    EXPECT_EQ(ev->jobs[0].state, "done") << ev->jobs[0].last_error;
  }
  ASSERT_TRUE(w.sink.wait_for(4));

  // Apple redelivers one (a resend from the UI), and a new one arrives as usual.
  EXPECT_EQ(w.apple.deliver(hook, upload_event("rc-1", "u-rc-1")).empty(), false);
  w.apple.deliver(hook, upload_event("rc-5", "u-rc-5"));
  ASSERT_TRUE(wait_event(*st, "rc-5", settled));
  // The next passes find everything stored: nothing is planned twice.
  // The resend is a delivery of its own: 6 already stored.
  ASSERT_TRUE(w.daemon->wait_log("already_stored=6")) << w.daemon->log();
  EXPECT_EQ(w.sink.count(), 5u);
  auto by_post = wait_event(*st, "rc-5", settled);
  EXPECT_EQ(by_post->source, "webhook");
  const auto deliveries = w.apple.deliveries();
  EXPECT_EQ(deliveries[deliveries.size() - 2].state, "SUCCEEDED");  // the resend was answered 200 (duplicate)

  // What the listing asked: never the refused state filter; always the date.
  const auto queries = w.apple.listing_queries();
  ASSERT_GE(queries.size(), 3u);  // 6 deliveries, 2 a page
  bool followed = false;
  for (const auto& q : queries) {
    EXPECT_EQ(q.find("deliveryState"), std::string::npos) << q;
    EXPECT_NE(q.find("filter%5BcreatedDateGreaterThanOrEqualTo%5D="), std::string::npos) << q;
    followed = followed || q.rfind("cursor=2", 0) == 0;
  }
  EXPECT_TRUE(followed);

  auto listed = w.cli({"events"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("\trc-2\treconcile\n"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("\trc-5\twebhook\n"), std::string::npos) << listed.out;
  EXPECT_EQ(listed.out.find("ping"), std::string::npos) << listed.out;  // the logged ping was skipped
  auto shown = w.cli({"event", "show", "rc-3"});
  EXPECT_EQ(json::parse(shown.out).value("source", ""), "reconcile") << shown.out;

  RawClient client(w.port);
  ASSERT_TRUE(client.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto metrics = client.read_response();
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("asc_webhookd_reconciled_events_total{webhook=\"ios-app\"} 4"), std::string::npos)
      << metrics->body;
}


// Apple rate-limits one pass and fails the next: each is logged with Apple's
// detail and counted, ingest and readiness never wait, and a later pass
// stores what was missing.
TEST(AppleReconcile, A429ThenA500AreCountedAndALaterPassSucceedsWhileTheDaemonKeepsServing) {
  AppleWorld w;
  const std::string hook = w.apple.add_hook(kApp, w.url(), kSecret);
  w.write_config(hook, "reconcile:\n  interval: 1s\n");
  w.apple.deliver(hook, upload_event("e5-1", "u-e5-1"));  // FAILED: the daemon is down
  w.apple.fail_next_listing(FakeAsc::error(429, "RATE_LIMIT_EXCEEDED", "The request rate limit has been reached.",
                                           "We've received too many requests for this API. Please wait and try again or slow down your request rate."));
  w.apple.fail_next_listing(FakeAsc::error(500, "UNEXPECTED_ERROR", "An unexpected error occurred.",
                                           "An unexpected error occurred on the server side. If this issue continues, contact us at https://developer.apple.com/contact/."));
  w.start();
  ASSERT_TRUE(w.daemon->wait_log("rate limit")) << w.daemon->log();
  ASSERT_TRUE(w.daemon->wait_log("UNEXPECTED_ERROR")) << w.daemon->log();
  // Both failures were passes of their own, each said and counted; the
  // daemon answered throughout.
  EXPECT_EQ(post_signed(w.port, "ios-app", upload_event("e5-2", "u-e5-2"), kSecret).status, 200);
  RawClient ready(w.port);
  ASSERT_TRUE(ready.send("GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(ready.read_response()->status, 200);
  auto st = w.store();
  auto ev = wait_event(*st, "e5-1", settled);
  ASSERT_TRUE(ev) << w.daemon->log();
  EXPECT_EQ(ev->source, "reconcile");
  ASSERT_EQ(ev->jobs.size(), 1u);
  EXPECT_EQ(ev->jobs[0].state, "done");
  ASSERT_TRUE(w.daemon->wait_log("stored=1")) << w.daemon->log();
  const std::string log = w.daemon->log();
  EXPECT_NE(log.find("RATE_LIMIT_EXCEEDED"), std::string::npos) << log;
  EXPECT_NE(log.find("tried again at the next pass"), std::string::npos) << log;
  const std::string m = metrics_of(w.port);
  EXPECT_NE(m.find("asc_webhookd_reconcile_passes_total{webhook=\"ios-app\",outcome=\"rate_limited\"} 1"), std::string::npos) << m;
  EXPECT_NE(m.find("asc_webhookd_reconcile_passes_total{webhook=\"ios-app\",outcome=\"error\"} 1"), std::string::npos) << m;
  EXPECT_NE(m.find("asc_webhookd_reconcile_passes_total{webhook=\"ios-app\",outcome=\"ok\"}"), std::string::npos) << m;
  EXPECT_NE(m.find("asc_webhookd_reconcile_last_success_timestamp_seconds{webhook=\"ios-app\"}"), std::string::npos) << m;
  EXPECT_EQ(w.apple.listing_queries().size() >= 3, true);
}

TEST(AppleReconcile, KillNineDuringAPassPlansNothingTwiceAfterTheRestart) {
  AppleWorld w;
  const std::string hook = w.apple.add_hook(kApp, w.url(), kSecret);
  w.apple.set_page_size(1);
  w.write_config(hook, "reconcile:\n  interval: 1s\n");
  for (const char* id : {"k9-1", "k9-2", "k9-3"}) w.apple.deliver(hook, upload_event(id, std::string("u-") + id));
  // The first pass lists two pages, then Apple keeps it waiting on the third.
  w.apple.hold_listing_at(2);
  w.start();
  ASSERT_TRUE(w.apple.wait_held()) << w.daemon->log();
  // Meanwhile the operator resends k9-2 from App Store Connect: it arrives by
  // POST and is stored and planned, with no watermark moved for it.
  EXPECT_EQ(post_signed(w.port, "ios-app", upload_event("k9-2", "u-k9-2"), kSecret).status, 200);
  auto st = w.store();
  ASSERT_TRUE(wait_event(*st, "k9-2", settled)) << w.daemon->log();
  w.daemon->signal(SIGKILL);
  ASSERT_EQ(w.daemon->wait_exit(), -SIGKILL);
  w.apple.release_listing();  // answers a socket no one reads any more

  w.start();
  for (const char* id : {"k9-1", "k9-2", "k9-3"}) {
    auto ev = wait_event(*st, id, settled);
    ASSERT_TRUE(ev) << id << "\n" << w.daemon->log();
    ASSERT_EQ(ev->jobs.size(), 1u) << id;  // planned once, whichever way it came
    EXPECT_EQ(ev->jobs[0].state, "done") << ev->jobs[0].last_error;
    EXPECT_EQ(ev->source, std::string(id) == "k9-2" ? "webhook" : "reconcile") << id;
  }
  // The pass after the restart saw k9-2 stored already, and so do later ones.
  ASSERT_TRUE(w.daemon->wait_log("already_stored=3")) << w.daemon->log();
  EXPECT_EQ(w.sink.count(), 3u);
  auto listed = w.cli({"events"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  // Three events (and the monitor's alert: Apple's newest three deliveries failed).
  std::size_t k9_rows = 0;
  for (std::size_t at = listed.out.find("\tk9-"); at != std::string::npos; at = listed.out.find("\tk9-", at + 1)) ++k9_rows;
  EXPECT_EQ(k9_rows, 3u) << listed.out;
}

TEST(AppleCli, DeliveriesShowsApplesLogAndReconcileStoresWhatIsMissing) {
  AppleWorld w;
  const std::string hook = w.apple.add_hook(kApp, w.url(), kSecret);
  w.write_config(hook);
  ASSERT_TRUE(w.store());  // an empty store, as a daemon that never got these would have
  w.apple.deliver(hook, upload_event("dv-1", "u-dv-1"));
  w.apple.deliver(hook, upload_event("dv-2", "u-dv-2"));

  auto log = w.cli({"apple", "deliveries", "--webhook", "ios-app", "--since", "1h"});
  ASSERT_EQ(log.exit_code, 0) << log.err;
  EXPECT_NE(log.out.find("\tFAILED\t-\tFailed to connect to the webhook URL\tBUILD_UPLOAD_STATE_UPDATED\tdv-1\tno\n"),
            std::string::npos) << log.out;
  auto succeeded = w.cli({"apple", "deliveries", "--webhook", "ios-app", "--state", "succeeded"});
  ASSERT_EQ(succeeded.exit_code, 0) << succeeded.err;
  EXPECT_EQ(succeeded.out.find("dv-1"), std::string::npos) << succeeded.out;

  auto pass = w.cli({"apple", "reconcile"});
  ASSERT_EQ(pass.exit_code, 0) << pass.err;
  EXPECT_NE(pass.out.find("reconcile webhook=ios-app"), std::string::npos) << pass.out;
  EXPECT_NE(pass.out.find(" deliveries=2 not_delivered=2 stored=2 already_stored=0 pings=0 jobs=2"), std::string::npos)
      << pass.out;
  auto again = w.cli({"apple", "reconcile"});
  EXPECT_NE(again.out.find(" stored=0 already_stored=2 "), std::string::npos) << again.out;
  auto after = w.cli({"apple", "deliveries", "--webhook", "ios-app"});
  EXPECT_NE(after.out.find("\tdv-2\tyes\n"), std::string::npos) << after.out;

  auto bad = w.cli({"apple", "deliveries", "--webhook", "ios-app", "--state", "lost"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--state must be failed, succeeded or pending"), std::string::npos);
}

}  // namespace
}  // namespace asc_webhookd::test
