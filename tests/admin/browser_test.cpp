// The delivery console in a real browser (Debian's chromium, headless): log
// in with the token, see the events the test posted, filter to dead, open
// one, press Retry and see the job delivered to the fake, press Replay; a
// wrong token shows the error; and the page at phone width. Screenshots go
// to build/artifacts/ (CI keeps them). Without a browser installed the test
// is skipped, unless ASC_WEBHOOKD_REQUIRE_BROWSER=1 (CI) makes that a failure.
#include "support/daemon.hpp"
#include "support/fake_apple_reviews.hpp"
#include "support/fake_apple_webhooks.hpp"
#include "support/fake_asc.hpp"
#include "support/keys.hpp"
#include "support/fake_http.hpp"
#include "support/pipeline.hpp"
#include "support/temp_dir.hpp"
#include "support/webdriver.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <memory>

namespace asc_webhookd::test {
namespace {

const char* kToken = "browser-console-token-7c2e";
const char* kHookSecret = "browser-hook-secret";

std::string artifact(const std::string& name) { return std::string(ASC_WEBHOOKD_ARTIFACTS) + "/" + name; }

// The daemon with the console on and one rule forwarding every upload event
// to `sink`; the browser tests skip without a browser (fail where CI needs one).
class ConsoleBrowser : public ::testing::Test {
protected:
  // Opens the console and logs in with the token; false when the login
  // form never showed.
  static bool log_in(WebDriver& b, std::uint16_t port) {
    b.go("http://127.0.0.1:" + std::to_string(port) + "/ui");
    if (!b.wait_until("return !document.getElementById('login').hidden")) return false;
    b.type("#token", kToken);
    b.click("#login-button");
    return true;
  }
  void SetUp() override {
    if (const std::string why = WebDriver::unavailable(); !why.empty()) {
      if (const char* need = std::getenv("ASC_WEBHOOKD_REQUIRE_BROWSER"); need && std::string(need) == "1") FAIL() << why;
      GTEST_SKIP() << why;
    }
  }
  std::uint16_t start_daemon(const std::string& delivery = "") {
    const std::string cfg = dir.write(
        "config.yaml", "server:\n  listen: 127.0.0.1:0\n  admin_token: ${env:ADMIN_TOKEN}\nstore:\n  path: " + dir.file("state.db") +
                           "\n" + delivery + "webhooks:\n  - name: ios-app\n    secret: ${env:HOOK}\n"
                           "rules:\n  - name: forward\n    when: { event: buildUploadStateUpdated }\n    actions:\n"
                           "      - http: { url: \"" + sink.url("/sink") + "\" }\n");
    daemon = std::make_unique<Daemon>(std::vector<std::string>{"--config", cfg},
                                      std::map<std::string, std::string>{{"ADMIN_TOKEN", kToken}, {"HOOK", kHookSecret}});
    return daemon->wait_listening();
  }
  TempDir dir;
  FakeHttpServer sink;
  std::unique_ptr<Daemon> daemon;
};

TEST_F(ConsoleBrowser, LogInFilterToDeadRetryAndReplayInARealBrowser) {
  const auto port = start_daemon("delivery:\n  max_attempts: 1\n");
  ASSERT_NE(port, 0) << daemon->log();
  sink.push({503, {}, "{\"error\":\"maintenance\"}", {}});  // the first delivery fails for good (max_attempts 1)
  ASSERT_EQ(post_signed(port, "ios-app", upload_event("br-failed", "u-101", "FAILED"), kHookSecret).status, 200);
  ASSERT_TRUE(sink.wait_for(1));
  ASSERT_EQ(post_signed(port, "ios-app", upload_event("br-ok-1", "u-102", "COMPLETE"), kHookSecret).status, 200);
  ASSERT_EQ(post_signed(port, "ios-app", upload_event("br-ok-2", "u-103", "COMPLETE"), kHookSecret).status, 200);
  ASSERT_TRUE(sink.wait_for(3));

  WebDriver b;
  ASSERT_TRUE(b.ok()) << b.error();
  const std::string ui = "http://127.0.0.1:" + std::to_string(port) + "/ui";

  // A wrong token: the page says so.
  b.go(ui);
  ASSERT_TRUE(b.wait_until("return !document.getElementById('login').hidden"));
  b.type("#token", "not-the-token");
  ASSERT_EQ(b.script("return document.getElementById('token').value"), "not-the-token") << b.find("#token");
  b.click("#login-button");
  ASSERT_TRUE(b.wait_until("return !document.getElementById('login-error').hidden"))
      << b.script("return document.body.innerText + ' | status: ' + document.getElementById('status').textContent").dump() << "\n"
      << daemon->log();
  EXPECT_NE(b.text("#login-error").find("refused (401 unauthorized)"), std::string::npos) << b.text("#login-error");
  EXPECT_TRUE(b.screenshot(artifact("console-wrong-token.png")));

  // The right one: the three events, newest first, with their states.
  b.type("#token", kToken);
  b.click("#login-button");
  ASSERT_TRUE(b.wait_until("return document.querySelectorAll('#events tbody tr').length === 3")) << daemon->log();
  EXPECT_EQ(b.script("return document.querySelector('#events tbody tr').dataset.id"), "br-ok-2");
  EXPECT_EQ(b.script("return document.querySelectorAll('#events tbody tr.state-dead').length"), 1);
  EXPECT_TRUE(b.wait_until("return document.getElementById('stats').textContent.includes('3 events')"));
  EXPECT_TRUE(b.screenshot(artifact("console-events.png")));

  // Filter to dead, open it: its job, the attempt and the request sent.
  b.click("#filter-state option[value=dead]");
  ASSERT_TRUE(b.wait_until("return document.querySelectorAll('#events tbody tr').length === 1 && "
                           "document.querySelector('#events tbody tr').dataset.id === 'br-failed'"));
  b.click("#events tbody tr");
  ASSERT_TRUE(b.wait_until("return !document.getElementById('detail').hidden && document.querySelector('.retry-job') !== null"));
  EXPECT_NE(b.text("#jobs").find("HTTP 503"), std::string::npos) << b.text("#jobs");
  EXPECT_NE(b.text("#jobs").find("POST " + sink.url("/sink")), std::string::npos) << b.text("#jobs");
  EXPECT_NE(b.text("#payload").find("br-failed"), std::string::npos);
  EXPECT_TRUE(b.screenshot(artifact("console-event.png")));

  // Retry: the job is delivered to the fake, and the page shows it done.
  b.click(".retry-job");
  ASSERT_TRUE(b.wait_until("return document.getElementById('outcome').textContent.includes('requeued')"));
  ASSERT_TRUE(sink.wait_for(4));
  EXPECT_EQ(sink.requests().back().body.find("br-failed") != std::string::npos, true);
  ASSERT_TRUE(b.wait_until("return document.querySelector('#jobs .badge') && "
                           "document.querySelector('#jobs .badge').textContent === 'done'")) << b.text("#jobs");

  // Replay: planned again, delivered again.
  b.click("#replay-event");
  ASSERT_TRUE(b.wait_until("return document.getElementById('outcome').textContent.startsWith('Planned again: job')"))
      << b.text("#outcome");
  ASSERT_TRUE(sink.wait_for(5));
  ASSERT_TRUE(b.wait_until("return document.querySelectorAll('#jobs .job').length === 2"));
  EXPECT_TRUE(b.screenshot(artifact("console-retried.png")));

  // A phone: the list and the detail still fit.
  b.window(390, 844);
  b.click("#close-detail");
  b.click("#filter-state option[value='']");
  ASSERT_TRUE(b.wait_until("return document.querySelectorAll('#events tbody tr').length === 3"));
  EXPECT_EQ(b.script("return document.documentElement.scrollWidth <= window.innerWidth + 1"), true);
  EXPECT_TRUE(b.screenshot(artifact("console-phone.png")));
  EXPECT_TRUE(daemon->wait_log("admin replay event=br-failed"));
}

// Real events (UUID ids, long type and state names) at a laptop's
// 1280x900 and a phone's 390 px: State and Jobs are on screen without a
// horizontal scroll, and a row clicked far down opens its detail in view.
TEST_F(ConsoleBrowser, FitsALaptopAndAPhoneAndTheOpenedEventIsInView) {
  const auto port = start_daemon();
  ASSERT_NE(port, 0) << daemon->log();
  // Twenty events, so the list is longer than the window.
  int n = 0;
  for (const char* f : {"seed/01-buildUploadStateUpdated-COMPLETE.json", "seed/02-buildUploadStateUpdated-FAILED.json",
                        "seed/08-appStoreVersionAppVersionStateUpdated-PENDING_DEVELOPER_RELEASE.json",
                        "seed/09-appStoreVersionAppVersionStateUpdated-READY_FOR_DISTRIBUTION.json"})
    for (int i = 0; i < 5; ++i, ++n)
      ASSERT_EQ(post_signed(port, "ios-app", fixture_event(std::string("events/") + f, "3d80ff11-b59a-5cda-938b-4f276a11ef" + std::to_string(10 + n)),
                            kHookSecret).status, 200);
  ASSERT_TRUE(sink.wait_for(10));

  WebDriver b;
  ASSERT_TRUE(b.ok()) << b.error();
  b.window(1280, 900);
  ASSERT_TRUE(log_in(b, port));
  ASSERT_TRUE(b.wait_until("return document.querySelectorAll('#events tbody tr').length === 20")) << daemon->log();
  const std::string fits =
      "const w = document.querySelector('.table-wrap');"
      "const last = (sel) => document.querySelector('#events tbody tr ' + sel).getBoundingClientRect();"
      "return w.scrollWidth <= w.clientWidth + 1 && document.documentElement.scrollWidth <= window.innerWidth + 1 &&"
      " last('td:nth-child(6)').right <= window.innerWidth && last('td:nth-child(7)').right <= window.innerWidth;";
  EXPECT_EQ(b.script(fits), true) << b.script("return [document.querySelector('.table-wrap').scrollWidth, window.innerWidth]").dump();
  EXPECT_TRUE(b.screenshot(artifact("console-1280x900.png")));
  // The last row, far below the fold: its detail comes into view.
  b.script("document.querySelector('#events tbody tr:last-child').scrollIntoView(); return true;");
  b.click("#events tbody tr:last-child");
  ASSERT_TRUE(b.wait_until("return !document.getElementById('detail').hidden"));
  ASSERT_TRUE(b.wait_until("const r = document.getElementById('detail').getBoundingClientRect();"
                           "return r.top > -2 && r.top < window.innerHeight / 2;"))
      << b.script("const r = document.getElementById('detail').getBoundingClientRect();"
                  "return [r.top, r.height, window.innerHeight, window.scrollY, document.documentElement.scrollHeight]").dump();
  EXPECT_TRUE(b.screenshot(artifact("console-1280x900-detail.png")));

  b.window(390, 844);
  b.click("#close-detail");
  ASSERT_TRUE(b.wait_until("return document.querySelectorAll('#events tbody tr').length === 20"));
  EXPECT_EQ(b.script(fits), true) << b.script("return [document.querySelector('.table-wrap').scrollWidth, window.innerWidth]").dump();
  b.script("window.scrollTo(0, 0); return true;");
  EXPECT_TRUE(b.screenshot(artifact("console-390.png")));
  b.click("#events tbody tr:nth-child(12)");
  ASSERT_TRUE(b.wait_until("const r = document.getElementById('detail').getBoundingClientRect();"
                           "return !document.getElementById('detail').hidden && r.top > -2 && r.top < window.innerHeight / 2;"));
  EXPECT_TRUE(b.screenshot(artifact("console-390-detail.png")));
}

// A customer review in the console: the review event opens with the
// review's text and its response as App Store Connect has it; Reply
// creates the response (the fake sees it), Delete response removes it.
TEST_F(ConsoleBrowser, AReviewIsAnsweredAndItsResponseDeletedFromTheReplyBox) {
  KeyPair key = make_p256_key();
  FakeAsc asc{key.public_pem, kAscKeyId, kAscIssuer};
  FakeAppleReviews reviews{asc, "1234567890"};
  const std::string id = reviews.add(1, std::chrono::hours(2), "GBR", "Crashes on launch", "Every time since 4.0.");
  const std::string cfg = dir.write(
      "config.yaml", "server:\n  listen: 127.0.0.1:0\n  admin_token: ${env:ADMIN_TOKEN}\nstore:\n  path: " + dir.file("state.db") +
                         "\napp_store_connect:\n  issuer_id: " + kAscIssuer + "\n  key_id: " + kAscKeyId +
                         "\n  private_key: \"${file:" + dir.write("AuthKey.p8", key.private_pem) + "}\"\n  base_url: " +
                         asc.base_url() +
                         "\nwebhooks:\n  - name: ios-app\n    secret: ${env:HOOK}\n    apple: { app_id: \"1234567890\", reviews: { interval: 15m } }\n"
                         "rules:\n  - name: reviews\n    when: { event: customerReviewCreated }\n    actions:\n"
                         "      - http: { url: \"" + sink.url("/sink") + "\" }\n");
  daemon = std::make_unique<Daemon>(std::vector<std::string>{"--config", cfg},
                                    std::map<std::string, std::string>{{"ADMIN_TOKEN", kToken}, {"HOOK", kHookSecret}});
  const auto port = daemon->wait_listening();
  ASSERT_NE(port, 0) << daemon->log();
  ASSERT_TRUE(sink.wait_for(1)) << daemon->log();

  WebDriver b;
  ASSERT_TRUE(b.ok()) << b.error();
  ASSERT_TRUE(log_in(b, port));
  ASSERT_TRUE(b.wait_until("return document.querySelectorAll('#events tbody tr').length === 1")) << daemon->log();
  b.click("#events tbody tr");
  ASSERT_TRUE(b.wait_until("return !document.getElementById('review').hidden && "
                           "document.getElementById('review-response').textContent === 'None yet.'"))
      << b.text("#review");
  EXPECT_EQ(b.text("#review-stars"), "★☆☆☆☆ (1/5)");
  EXPECT_NE(b.text("#review-title").find("Crashes on launch"), std::string::npos);
  EXPECT_NE(b.text("#review-meta").find("GBR"), std::string::npos);

  b.type("#reply-text", "Fixed in 4.0.1, sorry!");
  b.click("#reply");
  ASSERT_TRUE(b.wait_until("return document.getElementById('reply-outcome').textContent.includes('PENDING_PUBLISH')"))
      << b.text("#reply-outcome");
  ASSERT_TRUE(reviews.response_of(id));
  EXPECT_EQ(reviews.response_of(id)->text, "Fixed in 4.0.1, sorry!");
  ASSERT_TRUE(b.wait_until("return document.getElementById('review-response').textContent.includes('PENDING_PUBLISH')"));
  EXPECT_TRUE(b.screenshot(artifact("console-review.png")));

  b.click("#unreply");
  ASSERT_TRUE(b.wait_until("return document.getElementById('reply-outcome').textContent.includes('deleted')"))
      << b.text("#reply-outcome");
  EXPECT_FALSE(reviews.response_of(id));
  EXPECT_TRUE(daemon->wait_log("admin review unreply review=" + id));
  EXPECT_TRUE(daemon->wait_log("admin review reply review=" + id));
}

// Apple's webhook turned off: the console says so in a banner, with the
// fix; once it is on again, the stats line says healthy.
TEST_F(ConsoleBrowser, AnUnhealthyAppleWebhookIsABannerWithTheFix) {
  KeyPair key = make_p256_key();
  FakeAsc asc{key.public_pem, kAscKeyId, kAscIssuer};
  FakeAppleWebhooks apple{asc};
  apple.add_app("1234567890");
  const std::string hook = apple.add_hook("1234567890", "https://hooks.example.com/webhooks/ios-app", kHookSecret);
  apple.set_enabled(hook, false);
  const std::string cfg = dir.write(
      "config.yaml", "server:\n  listen: 127.0.0.1:0\n  admin_token: ${env:ADMIN_TOKEN}\nstore:\n  path: " + dir.file("state.db") +
                         "\nreconcile:\n  interval: 1s\napp_store_connect:\n  issuer_id: " + kAscIssuer + "\n  key_id: " +
                         kAscKeyId + "\n  private_key: \"${file:" + dir.write("AuthKey.p8", key.private_pem) +
                         "}\"\n  base_url: " + asc.base_url() +
                         "\nwebhooks:\n  - name: ios-app\n    secret: ${env:HOOK}\n    apple: { app_id: \"1234567890\", webhook_id: " +
                         hook + " }\nrules:\n  - name: forward\n    when: { event: buildUploadStateUpdated }\n    actions:\n"
                         "      - http: { url: \"" + sink.url("/sink") + "\" }\n");
  daemon = std::make_unique<Daemon>(std::vector<std::string>{"--config", cfg},
                                    std::map<std::string, std::string>{{"ADMIN_TOKEN", kToken}, {"HOOK", kHookSecret}});
  const auto port = daemon->wait_listening();
  ASSERT_NE(port, 0) << daemon->log();
  ASSERT_TRUE(daemon->wait_log("apple webhook health webhook=ios-app healthy=false")) << daemon->log();

  WebDriver b;
  ASSERT_TRUE(b.ok()) << b.error();
  ASSERT_TRUE(log_in(b, port));
  ASSERT_TRUE(b.wait_until("return !document.getElementById('apple-health').hidden")) << daemon->log();
  const std::string banner = b.text("#apple-health");
  EXPECT_NE(banner.find("Apple webhook ios-app is unhealthy"), std::string::npos) << banner;
  EXPECT_NE(banner.find("disabled"), std::string::npos) << banner;
  EXPECT_NE(banner.find("asc-webhookd apple setup"), std::string::npos) << banner;
  EXPECT_TRUE(b.screenshot(artifact("console-apple-webhook-unhealthy.png")));

  apple.set_enabled(hook, true);
  ASSERT_TRUE(daemon->wait_log("healthy again")) << daemon->log();
  b.click("#refresh");
  ASSERT_TRUE(b.wait_until("return document.getElementById('apple-health').hidden && "
                           "document.getElementById('stats').textContent.includes('Apple webhook ios-app: healthy')"))
      << b.text("#stats");
}

}  // namespace
}  // namespace asc_webhookd::test
