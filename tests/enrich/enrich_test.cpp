// App Store Connect enrichment through the real delivery engine against the
// fake ASC API: each event type's request, token reuse and renewal, 429,
// a foreign link refused, 404, the cache, individual keys, and history
// durations over the seed run of one version.
#include "asc_webhookd/core/metrics.hpp"
#include "asc_webhookd/enrich/history.hpp"
#include "asc_webhookd/enrich/shape.hpp"

#include "support/fake_asc.hpp"
#include "support/fake_http.hpp"
#include "support/fake_slack.hpp"
#include "support/keys.hpp"
#include "support/log_capture.hpp"
#include "support/pipeline.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

namespace asc_webhookd::test {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

const char* const kIssuer = kAscIssuer;
const char* const kKid = kAscKeyId;

struct Rig {
  KeyPair key = make_p256_key();
  TempDir dir;
  std::string key_file = dir.write("AuthKey.p8", key.private_pem);
  FakeHttpServer sink;  // the http action's endpoint: its body shows what rendered

  std::string config(const FakeAsc& asc, const std::string& rules, bool individual = false) const {
    return basic_config("", std::string("app_store_connect:\n") + (individual ? "" : "  issuer_id: " + std::string(kIssuer) + "\n") +
                                "  key_id: " + kKid + "\n  private_key: \"${file:" + key_file + "}\"\n  base_url: " + asc.base_url() +
                                "\ndelivery:\n  initial_backoff: 100ms\n" + rules);
  }
  std::string forward(const std::string& body_template, const std::string& when = "{ event: \"*\" }") const {
    return "rules:\n  - name: show\n    when: " + when + "\n    actions:\n      - http: { url: \"" + sink.url("/sink") +
           "\", body: \"" + body_template + "\" }\n";
  }
  std::vector<std::string> bodies() const {
    std::vector<std::string> out;
    for (const auto& r : sink.requests()) out.push_back(r.body);
    return out;
  }
};

// Posts the fixture events/`file` as it is and waits until its first job is done.
void post_and_deliver(TestServer& server, const std::string& file) {
  const auto body = fixture("events/" + file);
  ASSERT_EQ(post_signed(server.port(), "app", body, "s3cret").status, 200) << file;
  auto ev = wait_event(server.store(), json::parse(body)["data"]["id"].get<std::string>(), settled);
  ASSERT_TRUE(ev) << file;
  EXPECT_EQ(ev->jobs.at(0).state, "done") << file << ": " << ev->jobs.at(0).last_error;
}

json resource(const std::string& type, const std::string& id, json attributes = json::object()) {
  return {{"data", {{"type", type}, {"id", id}, {"attributes", attributes}}}};
}

// Found by fuzz_answers: an included item whose members have other types
// than Apple documents threw from json::value. They now read as absent.
TEST(Enrichment, AnIncludedItemOfTheWrongShapeIsReadAsAbsentNotThrown) {
  const auto answer = nlohmann::json::parse(R"({"data": {"type": "builds", "id": "b1"}, "included": [
      {"type": {"x": 1}, "id": "a0", "attributes": {"name": "never"}},
      {"type": "apps", "id": 7, "attributes": 3},
      {"type": "apps", "id": "a2", "attributes": {"name": "second"}}]})");
  nlohmann::json context = nlohmann::json::object();
  ASSERT_NO_THROW(enrich::add_to_context(context, answer));
  EXPECT_EQ(context["instance"]["id"], "b1");
  // The first item has no readable type; the second is an app without a
  // string id or attributes object, and is the one kept (the first app wins).
  EXPECT_EQ(context["app"], nlohmann::json({{"id", ""}}));
}

TEST(Enrichment, EachEventTypeTakesItsPath) {
  Rig s;
  FakeAsc asc(s.key.public_pem, kKid, kIssuer);
  struct Expect {
    std::string file, get;  // "" = no call
  };
  const std::vector<Expect> expect{
      {"alternativeDistributionPackageAvailableUpdated", "/asc/v1/alternativeDistributionPackages/2c1f9a54-44a4-4a5e-a1a0-5b0f2d1e9c33"},
      {"alternativeDistributionPackageVersionCreated", "/asc/v1/alternativeDistributionPackageVersions/8d50a4f6-7653-4ccc-b9e2-b0133eb9b0d3"},
      {"alternativeDistributionTerritoryAvailabilityUpdated", ""},
      {"appStoreVersionAppVersionStateUpdated", "/asc/v1/appStoreVersions/ad7e6298-2570-4ca6-b3cc-f81788e40bdc?include=app,build"},
      {"backgroundAssetVersionAppStoreReleaseStateUpdated", "/asc/v1/backgroundAssetVersionAppStoreReleases/ca76cfb1-befc-4071-8012-189e5b8d6ef1"},
      {"backgroundAssetVersionExternalBetaReleaseStateUpdated", "/asc/v1/backgroundAssetVersionExternalBetaReleases/83c5efef-4c73-454f-8c3e-8537b7491fbe"},
      {"backgroundAssetVersionInternalBetaReleaseCreated", "/asc/v1/backgroundAssetVersionInternalBetaReleases/eee09d96-b9c2-4038-a179-4093187fc1f5"},
      {"backgroundAssetVersionStateUpdated", "/asc/v1/backgroundAssetVersions/7012050b-e2a4-4a2c-bb98-f2b30cfdfaaf"},
      {"betaFeedbackCrashSubmissionCreated", "/asc/v1/betaFeedbackCrashSubmissions/AK7UjG-qL5QxXf3gIOGjbpQ?include=build,tester"},
      {"betaFeedbackScreenshotSubmissionCreated", "/asc/v1/betaFeedbackScreenshotSubmissions/AD8JvKbr0BK0Cj9OnM6WO6I?include=build,tester"},
      {"buildBetaDetailExternalBuildStateUpdated", "/asc/v1/buildBetaDetails/ad7e6298-2570-4ca6-b3cc-f81788e40bdc?include=build"},
      {"buildUploadStateUpdated", "/asc/v1/buildUploads/ad7e6298-2570-4ca6-b3cc-f81788e40bdc?include=build"},
      {"webhookPingCreated", ""}};
  for (const auto& e : expect) {
    if (e.get.empty()) continue;
    std::string path = e.get.substr(4, e.get.find('?') - 4);
    std::string type = path.substr(4, path.find('/', 4) - 4);
    json body = resource(type, path.substr(path.rfind('/') + 1), {{"marker", "enriched " + type}});
    if (type == "appStoreVersions")
      body["included"] = {{{"type", "apps"}, {"id", "1234"}, {"attributes", {{"name", "Acme"}, {"bundleId", "com.acme"}, {"sku", "ACME"}}}}};
    asc.serve(path, body);
  }
  asc.serve("/v1/betaFeedbackCrashSubmissions/AK7UjG-qL5QxXf3gIOGjbpQ/crashLog",
            resource("betaCrashLogs", "log-1", {{"logText", "Thread 0 Crashed:\n0 Acme main + 42"}}));
  TestServer server(s.config(asc, s.forward("{{event.type}}|{{instance.attributes.marker}}|{{app.name}}|{{instance.crash_log}}")));
  for (const auto& e : expect) {
    ASSERT_EQ(post_signed(server.port(), "app", fixture_event("events/" + e.file + ".json", "en-" + e.file), "s3cret").status, 200);
    auto ev = wait_event(server.store(), "en-" + e.file, settled);
    ASSERT_TRUE(ev) << e.file;
    EXPECT_EQ(ev->jobs.at(0).state, "done") << e.file << ": " << ev->jobs.at(0).last_error;
  }
  auto gets = asc.gets();
  for (const auto& e : expect) {
    if (e.get.empty()) continue;
    EXPECT_NE(std::find(gets.begin(), gets.end(), e.get), gets.end()) << e.get;
  }
  EXPECT_EQ(gets.size(), 12u);  // eleven instances, and the crash log
  auto bodies = s.bodies();
  auto has = [&](const std::string& text) { return std::find(bodies.begin(), bodies.end(), text) != bodies.end(); };
  EXPECT_TRUE(has("appStoreVersionAppVersionStateUpdated|enriched appStoreVersions|Acme|"));
  EXPECT_TRUE(has("betaFeedbackCrashSubmissionCreated|enriched betaFeedbackCrashSubmissions||Thread 0 Crashed:\n0 Acme main + 42"));
  EXPECT_TRUE(has("webhookPingCreated|||"));
  EXPECT_TRUE(has("alternativeDistributionTerritoryAvailabilityUpdated|||"));
}

TEST(Enrichment, ApplesAnswersFeedTheBuiltInSlackMessage) {
  Rig s;
  FakeAsc asc(s.key.public_pem, kKid, kIssuer);
  FakeSlack slack;
  // The recorded API answers, served for the seed run's instances.
  asc.serve("/v1/buildUploads/c0ffee00-1234-4abc-9def-0123456789ab", json::parse(fixture("api/buildUploads-FAILED.json")));
  asc.serve("/v1/appStoreVersions/b2a1c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
            json::parse(fixture("api/appStoreVersions-READY_FOR_DISTRIBUTION.json")));
  TestServer server(s.config(asc, "connections:\n  slack:\n    hook: { webhook_url: \"" + slack.webhook_url() +
                                      "\" }\nrules:\n  - name: tell\n    when: { event: \"*\" }\n    actions:\n      - slack: { connection: hook }\n"));
  for (const char* f : {"seed/02-buildUploadStateUpdated-FAILED.json", "seed/09-appStoreVersionAppVersionStateUpdated-READY_FOR_DISTRIBUTION.json"})
    post_and_deliver(server, f);
  auto posts = slack.webhook_posts();
  ASSERT_EQ(posts.size(), 2u);
  std::string failed = posts[0].dump(), released = posts[1].dump();
  if (failed.find("Build upload") == std::string::npos) std::swap(failed, released);
  EXPECT_GE(posts[0]["blocks"].size(), 3u);
  EXPECT_NE(failed.find("app 1.101.0 (3) — Build upload: Failed"), std::string::npos) << failed;
  EXPECT_NE(failed.find("ITMS-90683: Missing purpose string in Info.plist"), std::string::npos) << failed;
  EXPECT_NE(released.find("app 1.101.0 — Ready for Distribution"), std::string::npos) << released;
}

// The recorded answers for a rejection and both kinds of TestFlight feedback:
// the built-in message links to the app in App Store Connect, and carries the
// tester's comment, device, screenshot and crash log.
TEST(Enrichment, RejectionAndFeedbackMessagesFromTheRecordedAnswers) {
  Rig s;
  FakeAsc asc(s.key.public_pem, kKid, kIssuer);
  FakeSlack slack;
  json version = json::parse(fixture("api/appStoreVersions-READY_FOR_DISTRIBUTION.json"));
  version["data"]["attributes"]["appVersionState"] = "REJECTED";  // as include=app,build answers it
  version["included"] = {{{"type", "apps"}, {"id", "1234567890"}, {"attributes", {{"name", "Acme"}, {"bundleId", "com.acme.ios"}, {"sku", "ACME"}}}}};
  asc.serve("/v1/appStoreVersions/b2a1c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d", version);
  asc.serve("/v1/betaFeedbackScreenshotSubmissions/AD8JvKbr0BK0Cj9OnM6WO6I", json::parse(fixture("api/betaFeedbackScreenshotSubmissions.json")));
  asc.serve("/v1/betaFeedbackCrashSubmissions/AK7UjG-qL5QxXf3gIOGjbpQ", json::parse(fixture("api/betaFeedbackCrashSubmissions.json")));
  asc.serve("/v1/betaFeedbackCrashSubmissions/AK7UjG-qL5QxXf3gIOGjbpQ/crashLog", json::parse(fixture("api/betaCrashLogs.json")));
  TestServer server(s.config(asc, "connections:\n  slack:\n    hook: { webhook_url: \"" + slack.webhook_url() +
                                      "\" }\nrules:\n  - name: tell\n    when: { event: \"*\" }\n    actions:\n      - slack: { connection: hook }\n"));
  for (const char* f : {"appStoreVersionAppVersionStateUpdated-REJECTED.json", "betaFeedbackScreenshotSubmissionCreated.json",
                        "betaFeedbackCrashSubmissionCreated.json"})
    post_and_deliver(server, f);
  auto posts = slack.webhook_posts();
  ASSERT_EQ(posts.size(), 3u);
  std::string all;
  for (const auto& p : posts) all += p.dump() + "\n";
  EXPECT_NE(all.find("❌ Acme 1.101.0 — Rejected"), std::string::npos) << all;
  EXPECT_NE(all.find("<https://appstoreconnect.apple.com/apps/1234567890/distribution|Open in App Store Connect>"),
            std::string::npos) << all;
  EXPECT_NE(all.find("💬 The Save button is hidden behind the keyboard on the checkout screen."), std::string::npos) << all;
  EXPECT_NE(all.find("📱 iPhone16,2, 18.2"), std::string::npos) << all;
  EXPECT_NE(all.find("🖼 <https://tf-feedback.itunes.apple.com/eimg/example/AD8JvKbr0BK0Cj9OnM6WO6I/1.png|Screenshot 1>"),
            std::string::npos) << all;
  EXPECT_NE(all.find("💬 Crashed when I rotated the phone while the video was loading."), std::string::npos) << all;
  EXPECT_NE(all.find("VideoPlayerViewController.viewWillTransition"), std::string::npos) << all;
}

// feedback.*: what a ticket needs from a tester's feedback, from the
// submission, its build, the build's pre-release version (one more
// lookup) and, for a crash, the crash log.
TEST(Enrichment, FeedbackDataForTemplatesFromTheSubmissionItsBuildAndTheCrashLog) {
  Rig s;
  FakeAsc asc(s.key.public_pem, kKid, kIssuer);
  const json shot = json::parse(fixture("api/betaFeedbackScreenshotSubmissions.json"));
  const json crash = json::parse(fixture("api/betaFeedbackCrashSubmissions.json"));
  asc.serve("/v1/betaFeedbackScreenshotSubmissions/AD8JvKbr0BK0Cj9OnM6WO6I", shot);
  asc.serve("/v1/betaFeedbackCrashSubmissions/AK7UjG-qL5QxXf3gIOGjbpQ", crash);
  asc.serve("/v1/betaFeedbackCrashSubmissions/AK7UjG-qL5QxXf3gIOGjbpQ/crashLog", json::parse(fixture("api/betaCrashLogs.json")));
  for (const json* sub : {&shot, &crash}) {
    const std::string build = (*sub)["data"]["relationships"]["build"]["data"]["id"];
    asc.serve("/v1/builds/" + build + "/preReleaseVersion",
              resource("preReleaseVersions", "prv-1", {{"version", "2.4.0"}, {"platform", "IOS"}}));
  }
  TestServer server(s.config(asc, s.forward("{{feedback.kind}}|{{feedback.comment}}|{{feedback.device_model}}|"
                                            "{{feedback.os_version}}|{{feedback.app_version}}|{{feedback.build_number}}|"
                                            "{{feedback.locale}}|{{feedback.battery}}|{{feedback.connection}}|"
                                            "{{#feedback.screenshots}}{{width}}x{{height}} {{/feedback.screenshots}}|"
                                            "{{feedback.crash_log}}")));
  post_and_deliver(server, "betaFeedbackScreenshotSubmissionCreated.json");
  post_and_deliver(server, "betaFeedbackCrashSubmissionCreated.json");
  const auto bodies = s.bodies();
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_EQ(bodies[0], "screenshot|The Save button is hidden behind the keyboard on the checkout screen.|iPhone16,2|18.2|"
                       "2.4.0|" + shot["included"][0]["attributes"]["version"].get<std::string>() +
                       "|en-US|76|WIFI|1290x2796 |");
  EXPECT_EQ(bodies[1].rfind("crash|Crashed when I rotated the phone while the video was loading.|", 0), 0u) << bodies[1];
  EXPECT_NE(bodies[1].find("|2.4.0|"), std::string::npos) << bodies[1];
  EXPECT_NE(bodies[1].find("VideoPlayerViewController.viewWillTransition"), std::string::npos) << bodies[1];
}

TEST(Enrichment, TokenIsReusedThenRenewedBeforeItExpires) {
  Rig s;
  FakeAsc asc(s.key.public_pem, kKid, kIssuer);
  ManualClock clock(SystemClock().now_ms());
  for (const char* id : {"v-1", "v-2", "v-3"}) asc.serve(std::string("/v1/appStoreVersions/") + id, resource("appStoreVersions", id));
  TestServer server(s.config(asc, s.forward("{{instance.id}}")), {.threads = 2, .vfs = "", .clock = &clock});
  auto post = [&](const std::string& id, const std::string& instance) {
    ASSERT_EQ(post_signed(server.port(), "app", fixture_event("events/appStoreVersionAppVersionStateUpdated.json", id, instance), "s3cret").status, 200);
    auto ev = wait_event(server.store(), id, settled);
    ASSERT_TRUE(ev);
    EXPECT_EQ(ev->jobs.at(0).state, "done") << ev->jobs.at(0).last_error;
  };
  post("tok-1", "v-1");
  post("tok-2", "v-2");
  EXPECT_EQ(asc.tokens().size(), 1u);  // one token for both calls
  // 18.5 minutes later the 19-minute token has under a minute left: renewed.
  clock.advance(std::chrono::milliseconds(18 * 60'000 + 30'000));
  asc.set_clock_offset(std::chrono::milliseconds(18 * 60'000 + 30'000));
  post("tok-3", "v-3");
  ASSERT_EQ(asc.tokens().size(), 2u);
  for (const auto& c : asc.claims()) {
    EXPECT_EQ(c["iss"], kIssuer);
    EXPECT_EQ(c["aud"], "appstoreconnect-v1");
    EXPECT_LE(c["exp"].get<std::int64_t>() - c["iat"].get<std::int64_t>(), 1200);
  }
  EXPECT_EQ(s.bodies(), (std::vector<std::string>{"v-1", "v-2", "v-3"}));
}

TEST(Enrichment, IndividualKeySignsWithSubUser) {
  Rig s;
  FakeAsc asc(s.key.public_pem, kKid, std::nullopt);
  asc.serve("/v1/buildUploads/u-1", resource("buildUploads", "u-1", {{"cfBundleVersion", "42"}}));
  TestServer server(s.config(asc, s.forward("{{instance.attributes.cfBundleVersion}}"), /*individual=*/true));
  ASSERT_EQ(post_signed(server.port(), "app", fixture_event("events/buildUploadStateUpdated.json", "ind-1", "u-1"), "s3cret").status, 200);
  ASSERT_TRUE(wait_event(server.store(), "ind-1", settled));
  ASSERT_EQ(asc.claims().size(), 1u);
  EXPECT_EQ(asc.claims()[0]["sub"], "user");
  EXPECT_FALSE(asc.claims()[0].contains("iss"));
  EXPECT_EQ(s.bodies(), std::vector<std::string>{"42"});
}

TEST(Enrichment, RateLimitedCallIsRetriedAndTheLimitExported) {
  Rig s;
  FakeAsc asc(s.key.public_pem, kKid, kIssuer);
  asc.serve("/v1/buildUploads/u-1", resource("buildUploads", "u-1", {{"cfBundleVersion", "7"}}));
  asc.server.push({429, {{"Content-Type", "application/json"}, {"Retry-After", "1"}},
                   R"({"errors":[{"status":"429","code":"RATE_LIMIT_EXCEEDED","title":"The request rate limit has been reached.","detail":"We've received too many requests for this API."}]})",
                   {}});
  TestServer server(s.config(asc, s.forward("build {{instance.attributes.cfBundleVersion}}")));
  ASSERT_EQ(post_signed(server.port(), "app", fixture_event("events/buildUploadStateUpdated.json", "rl-1", "u-1"), "s3cret").status, 200);
  auto ev = wait_event(server.store(), "rl-1", settled);
  ASSERT_TRUE(ev);
  const auto& job = ev->jobs.at(0);
  EXPECT_EQ(job.state, "done") << job.last_error;
  ASSERT_EQ(job.attempt_log.size(), 2u);
  EXPECT_EQ(job.attempt_log[0].http_status, 429);
  EXPECT_NE(job.attempt_log[0].error.find("The request rate limit has been reached."), std::string::npos) << job.attempt_log[0].error;
  EXPECT_GE(job.attempt_log[1].started_at_ms - job.attempt_log[0].started_at_ms, 950);  // Retry-After: 1
  EXPECT_EQ(s.bodies(), std::vector<std::string>{"build 7"});  // the action ran once, enriched
  const std::string metrics = metrics::Registry::global().render();
  EXPECT_NE(metrics.find("asc_webhookd_asc_api_rate_limit_remaining "), std::string::npos);
  EXPECT_NE(metrics.find("asc_webhookd_asc_api_calls_total{code=\"429\"}"), std::string::npos);
}

// A lookup failing transiently holds the action back for enrich_attempts
// tries, then the action runs without `instance`, saying why.
TEST(Enrichment, ATransientFailureIsRetriedEnrichAttemptsTimesThenTheActionRunsWithoutIt) {
  Rig s;
  FakeAsc asc(s.key.public_pem, kKid, kIssuer);
  asc.serve("/v1/buildUploads/u-3", resource("buildUploads", "u-3", {{"cfBundleVersion", "3"}}));
  for (int i = 0; i < 3; ++i)
    asc.server.push({503, {{"Content-Type", "application/json"}},
                     R"({"errors":[{"status":"503","code":"SERVICE_UNAVAILABLE","title":"The service is unavailable."}]})", {}});
  std::string cfg = s.config(asc, s.forward("[{{instance.attributes.cfBundleVersion}}|{{enrichment.error}}]"));
  cfg.replace(cfg.find("\ndelivery:"), 0, "\n  enrich_attempts: 2");
  TestServer server(cfg);
  ASSERT_EQ(post_signed(server.port(), "app", fixture_event("events/buildUploadStateUpdated.json", "tr-1", "u-3"), "s3cret").status, 200);
  auto ev = wait_event(server.store(), "tr-1", settled);
  ASSERT_TRUE(ev);
  const auto& job = ev->jobs.at(0);
  EXPECT_EQ(job.state, "done") << job.last_error;
  ASSERT_EQ(job.attempt_log.size(), 2u);
  EXPECT_EQ(job.attempt_log[0].outcome, "retry");
  EXPECT_EQ(job.attempt_log[0].http_status, 503);
  EXPECT_EQ(s.bodies(), std::vector<std::string>{"[|App Store Connect API answered 503: SERVICE_UNAVAILABLE: The service is unavailable.]"});
  EXPECT_EQ(asc.gets().size(), 0u);  // both answered by the canned 503s
}

TEST(Enrichment, ALinkToAForeignHostIsRefusedAndTheTokenStaysHome) {
  Rig s;
  FakeAsc asc(s.key.public_pem, kKid, kIssuer);
  FakeHttpServer evil;
  LogCapture cap(spdlog::level::info);
  TestServer server(s.config(asc, s.forward("[{{instance.id}}]")));
  std::string body = R"({"data":{"type":"appStoreVersionAppVersionStateUpdated","id":"evil-1","version":1,"attributes":{"newValue":"IN_REVIEW","oldValue":"WAITING_FOR_REVIEW"},"relationships":{"instance":{"data":{"type":"appStoreVersions","id":"v-9"},"links":{"self":")" +
                     evil.url("/v1/appStoreVersions/v-9") + R"("}}}}})";
  ASSERT_EQ(post_signed(server.port(), "app", body, "s3cret").status, 200);
  auto ev = wait_event(server.store(), "evil-1", settled);
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->jobs.at(0).state, "done") << ev->jobs.at(0).last_error;
  EXPECT_EQ(evil.count(), 0u);
  EXPECT_TRUE(asc.gets().empty());
  EXPECT_EQ(s.bodies(), std::vector<std::string>{"[]"});
  EXPECT_NE(ev->jobs.at(0).attempt_log.at(0).detail.find("refused: not an App Store Connect API host"), std::string::npos)
      << ev->jobs.at(0).attempt_log.at(0).detail;
  EXPECT_NE(cap.text().find("enrichment skipped event=evil-1"), std::string::npos);
}

TEST(Enrichment, AMissingInstanceRendersWithoutIt) {
  Rig s;
  FakeAsc asc(s.key.public_pem, kKid, kIssuer);
  TestServer server(s.config(asc, s.forward("{{event.instance.id}}:{{instance.id}}")));
  ASSERT_EQ(post_signed(server.port(), "app", fixture_event("events/buildUploadStateUpdated.json", "nf-1", "gone-1"), "s3cret").status, 200);
  auto ev = wait_event(server.store(), "nf-1", settled);
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->jobs.at(0).state, "done") << ev->jobs.at(0).last_error;
  EXPECT_EQ(s.bodies(), std::vector<std::string>{"gone-1:"});
  EXPECT_NE(ev->jobs.at(0).attempt_log.at(0).detail.find("instance not found (404)"), std::string::npos);
}

TEST(Enrichment, SeveralRulesOnOneEventMakeOneCall) {
  Rig s;
  FakeAsc asc(s.key.public_pem, kKid, kIssuer);
  asc.serve("/v1/buildUploads/u-5", resource("buildUploads", "u-5", {{"cfBundleVersion", "5"}}));
  std::string rules = "rules:\n";
  for (int i = 0; i < 4; ++i)
    rules += "  - name: r" + std::to_string(i) + "\n    when: { event: buildUploadStateUpdated }\n    actions:\n      - http: { url: \"" +
             s.sink.url("/sink") + "\", body: \"r" + std::to_string(i) + " {{instance.attributes.cfBundleVersion}}\" }\n";
  TestServer server(s.config(asc, rules));
  ASSERT_EQ(post_signed(server.port(), "app", fixture_event("events/buildUploadStateUpdated.json", "cache-1", "u-5"), "s3cret").status, 200);
  auto ev = wait_event(server.store(), "cache-1", settled);
  ASSERT_TRUE(ev);
  ASSERT_EQ(ev->jobs.size(), 4u);
  for (const auto& j : ev->jobs) EXPECT_EQ(j.state, "done") << j.last_error;
  EXPECT_EQ(asc.gets().size(), 1u);
  auto bodies = s.bodies();
  std::sort(bodies.begin(), bodies.end());
  EXPECT_EQ(bodies, (std::vector<std::string>{"r0 5", "r1 5", "r2 5", "r3 5"}));
}

TEST(Enrichment, HistoryDurationsOverTheSeedRun) {
  Rig s;
  FakeAsc asc(s.key.public_pem, kKid, kIssuer);
  TestServer server(s.config(asc, s.forward("{{history.waiting_for_review.text}}|{{history.in_review.text}}|"
                                            "{{history.submission_to_release.text}}|{{history.submission_to_release.seconds}}|"
                                            "{{#history.states}}{{state}} {{/history.states}}",
                                            "{ event: appStoreVersionAppVersionStateUpdated, to: READY_FOR_DISTRIBUTION }")));
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(std::string(ASC_WEBHOOKD_FIXTURES) + "/events/seed"))
    if (const auto name = e.path().filename().string();
        name.find("appStoreVersion") != std::string::npos && name.find("-REJECTED") == std::string::npos)
      files.push_back(name);  // the REJECTED sample is another version's
  std::sort(files.begin(), files.end());  // numbering order: the rejection arrives out of timestamp order
  ASSERT_EQ(files.size(), 7u);
  for (const auto& f : files) {
    auto body = fixture("events/seed/" + f);
    ASSERT_EQ(post_signed(server.port(), "app", body, "s3cret").status, 200) << f;
  }
  ASSERT_TRUE(s.sink.wait_for(1));
  // Submitted 18 Dec 03:41:21, developer-rejected 03:50:30, back to prepare
  // 05:01:47, in review 22:05:50, approved 22:34:18, released 23 Dec 06:03:50.
  EXPECT_EQ(s.bodies().at(0),
            "17h 4m|28m|5d 2h 22m|440549|READY_FOR_REVIEW WAITING_FOR_REVIEW DEVELOPER_REJECTED PREPARE_FOR_SUBMISSION "
            "IN_REVIEW PENDING_DEVELOPER_RELEASE READY_FOR_DISTRIBUTION ");
}

TEST(History, DurationsAndText) {
  using store::HistoryEntry;
  auto at = [](std::int64_t s) { return std::optional<std::int64_t>(s * 1'000'000'000); };
  std::vector<HistoryEntry> e{{"WAITING_FOR_REVIEW", at(1000), 0}, {"IN_REVIEW", at(1000 + 18 * 3600 + 53 * 60), 0},
                              {"PENDING_DEVELOPER_RELEASE", at(1000 + 19 * 3600), 0}, {"READY_FOR_DISTRIBUTION", at(1000 + 3 * 86400), 0}};
  auto h = enrich::history_data(e);
  EXPECT_EQ(h["waiting_for_review"]["text"], "18h 53m");
  EXPECT_EQ(h["in_review"]["text"], "7m");
  EXPECT_EQ(h["submission_to_release"]["seconds"], 3 * 86400);
  EXPECT_EQ(h["submission_to_release"]["text"], "3d 0h 0m");
  EXPECT_EQ(h["pending_developer_release"]["text"], "2d 5h 0m");
  EXPECT_EQ(enrich::human_duration(45), "45s");
  // Still in review: no in_review yet.
  e.resize(2);
  EXPECT_FALSE(enrich::history_data(e).contains("in_review"));
}

}  // namespace
}  // namespace asc_webhookd::test
