// TestFlight feedback to tickets through the real binary: a fake App Store
// Connect serves the submissions (screenshot URLs signed by a fake CDN that
// answers 403 once they expire), and the daemon makes a Jira issue with the
// files attached, a GitHub issue with the crash log in its body, and a Slack
// post with the files in its thread — each ticket once per submission and
// destination, through failures after the create, replays and rule changes.
#include "asc_webhookd/core/clock.hpp"
#include "asc_webhookd/store/sqlite_store.hpp"

#include "support/daemon.hpp"
#include "support/fake_asc.hpp"
#include "support/fake_asc_documents.hpp"
#include "support/fake_github.hpp"
#include "support/fake_jira.hpp"
#include "support/fake_slack.hpp"
#include "support/keys.hpp"
#include "support/pipeline.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <csignal>

namespace asc_webhookd::test {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

const char* kSecret = "feedback-ticket-secret-7d1e";
const char* kGithubToken = "github_pat_feedback_tickets";
const std::string kShot = "AD8JvKbr0BK0Cj9OnM6WO6I";
const std::string kCrash = "AK7UjG-qL5QxXf3gIOGjbpQ";
const std::string kFixtures = ASC_WEBHOOKD_FIXTURES;

using asc_documents::now_ms;

// Apple's screenshot host as far as it is known: signed URLs that stop
// working at their expiry (403 AccessDenied), PNG bytes that are not text.
struct ScreenshotCdn {
  std::string png = std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16) + std::string(4096, '\xff') + "tail";
  std::atomic<int> signatures{0};
  std::atomic<int> refused{0};
  std::string sign(std::int64_t expires_ms) {
    return server.url("/eimg/" + kShot + "/1.png?exp=" + std::to_string(expires_ms) + "&sig=s" + std::to_string(++signatures));
  }
  FakeHttpServer server{[this](const FakeRequest& r) {
    const auto exp = r.target.find("exp=");
    if (exp == std::string::npos || r.target.find("&sig=s") == std::string::npos)
      return FakeResponse{403, {{"Content-Type", "application/xml"}}, "<Error><Code>AccessDenied</Code></Error>"};
    if (std::stoll(r.target.substr(exp + 4)) < now_ms()) {
      ++refused;
      return FakeResponse{403, {{"Content-Type", "application/xml"}},
                          "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"};
    }
    return FakeResponse{200, {{"Content-Type", "image/png"}}, png};
  }};
};

struct FeedbackWorld {
  TempDir dir;
  KeyPair key = make_p256_key();
  FakeAsc asc{key.public_pem, kAscKeyId, kAscIssuer};
  ScreenshotCdn cdn;
  FakeJira jira{FakeJira::Flavor::cloud};
  FakeGithub github;
  FakeSlack slack;
  std::uint16_t port = free_loopback_port();
  std::string key_file = dir.write("AuthKey.p8", key.private_pem);
  std::string config_path;
  std::unique_ptr<Daemon> daemon;
  std::atomic<int> submission_gets{0};
  bool first_url_expired = false;  // the first answer's URL is already past its signature's expiry
  std::string crash_log = "Incident Identifier: 5E0A\nHardware Model: iPhone16,2\nException Type: EXC_BAD_ACCESS (SIGSEGV)\n";

  FeedbackWorld() {
    jira.add_project("IOS");
    jira.add_project("MOB");
    github.add_token(kGithubToken);
    github.add_repo("acme/ios-app");
    slack.add_channel("#ios-feedback", "C0FEEDBACK");
    asc.add_route([this](const FakeRequest&, const std::string& path) { return answer(path); });
  }

  std::optional<FakeResponse> answer(const std::string& path) {
    auto ok = [](const json& j) { return FakeResponse{200, {{"Content-Type", "application/json"}}, j.dump()}; };
    if (path == "/v1/betaFeedbackScreenshotSubmissions/" + kShot) {
      json doc = json::parse(read_file(kFixtures + "/api/betaFeedbackScreenshotSubmissions.json"));
      const bool expired = submission_gets++ == 0 && first_url_expired;
      auto& shot = doc["data"]["attributes"]["screenshots"][0];
      shot["url"] = cdn.sign(now_ms() + (expired ? -60'000 : 3'600'000));
      shot["expirationDate"] = format_utc(now_ms() + 3'600'000);  // the date says later: only the answer tells
      return ok(doc);
    }
    if (path == "/v1/betaFeedbackCrashSubmissions/" + kCrash)
      return ok(json::parse(read_file(kFixtures + "/api/betaFeedbackCrashSubmissions.json")));
    if (path == "/v1/betaFeedbackCrashSubmissions/" + kCrash + "/crashLog")
      return ok({{"data", {{"type", "betaCrashLogs"}, {"id", "log-1"}, {"attributes", {{"logText", crash_log}}}}}});
    return std::nullopt;
  }

  void write_config(const std::string& project = "IOS") {
    config_path = dir.write(
        "config.yaml",
        "server:\n  listen: 127.0.0.1:" + std::to_string(port) + "\nstore:\n  path: " + dir.file("state.db") +
            "\ndelivery:\n  initial_backoff: 200ms\n  max_backoff: 1s\n  ticket_search_lag: 2s\n"
            "app_store_connect:\n  issuer_id: " + kAscIssuer + "\n  key_id: " + kAscKeyId +
            "\n  private_key: \"${file:" + key_file + "}\"\n  base_url: " + asc.base_url() +
            "\nwebhooks:\n  - name: ios-app\n    secret: " + kSecret +
            "\nconnections:\n  jira:\n    default:\n      base_url: " + jira.base_url() + "\n      email: " + FakeJira::kEmail +
            "\n      api_token: " + FakeJira::kToken + "\n      flavor: cloud\n  github:\n    default:\n      token: " +
            kGithubToken + "\n      api_url: " + github.api_url() + "\n  slack:\n    bot:\n      bot_token: " + FakeSlack::kBotToken +
            "\n      api_url: " + slack.api_url() +
            "\nrules:\n  - name: feedback-to-tickets\n"
            "    when: { event: [betaFeedbackScreenshotSubmissionCreated, betaFeedbackCrashSubmissionCreated] }\n"
            "    actions:\n"
            "      - jira:\n"
            "          create:\n"
            "            project: " + project + "\n"
            "            issue_type: Bug\n"
            "            summary: \"TestFlight: {{feedback.comment}}\"\n"
            "            description: \"{{feedback.device_model}}, iOS {{feedback.os_version}}, build {{feedback.build_number}}\"\n"
            "            labels: [testflight]\n"
            "          attach: [screenshots, crash_log]\n"
            "      - github:\n"
            "          issue: { repo: acme/ios-app, title: \"TestFlight: {{feedback.comment}}\", labels: [testflight] }\n"
            "      - slack: { connection: bot, channel: \"#ios-feedback\", attach: [screenshots, crash_log] }\n");
  }
  void start() {
    daemon = std::make_unique<Daemon>(std::vector<std::string>{"--config", config_path});
    ASSERT_EQ(daemon->wait_listening(), port) << daemon->log();
  }
  void restart(const std::string& project) {
    daemon->signal(SIGTERM);
    ASSERT_EQ(daemon->wait_exit(), 0) << daemon->log();
    write_config(project);
    start();
  }
  std::unique_ptr<store::SqliteStore> store() const {
    auto st = store::SqliteStore::open({dir.file("state.db"), ""});
    return st ? std::move(*st) : nullptr;
  }
  // Posts the seed event of a submission with its own event id, and waits until its jobs settle.
  std::optional<store::EventView> deliver(const std::string& seed, const std::string& event_id, std::size_t jobs = 3) {
    json ev = json::parse(read_file(kFixtures + "/events/seed/" + seed));
    ev["data"]["id"] = event_id;
    if (post_signed(port, "ios-app", ev.dump(), kSecret).status != 200) return std::nullopt;
    return settle(event_id, jobs);
  }
  std::optional<store::EventView> settle(const std::string& event_id, std::size_t jobs) {
    auto st = store();
    if (!st) return std::nullopt;
    return wait_event(
        *st, event_id, [&](const store::EventView& e) { return e.jobs.size() == jobs && settled(e); }, 60s);
  }
  CommandResult cli(std::vector<std::string> args) const {
    args.push_back("--config");
    args.push_back(config_path);
    return run_binary(args);
  }
};

std::string text_of(const json& adf) {
  if (adf.is_string()) return adf.get<std::string>();
  std::string out;
  if (adf.value("type", "") == "text") out += adf.value("text", "");
  for (const auto& c : adf.value("content", json::array())) out += text_of(c) + (c.value("type", "") == "paragraph" ? "\n" : "");
  return out;
}

bool has_label(const std::vector<std::string>& labels, const std::string& l) {
  return std::find(labels.begin(), labels.end(), l) != labels.end();
}

void expect_all_done(const store::EventView& ev) {
  for (const auto& j : ev.jobs) EXPECT_EQ(j.state, "done") << j.kind << ": " << j.last_error;
}

TEST(FeedbackTickets, AScreenshotMakesOneJiraIssueWithTheScreenshotAndOneSlackPostWithTheFile) {
  FeedbackWorld w;
  w.write_config();
  w.start();
  auto ev = w.deliver("11-betaFeedbackScreenshotSubmissionCreated.json", "fb-shot-1");
  ASSERT_TRUE(ev) << w.daemon->log();
  expect_all_done(*ev);

  const auto issues = w.jira.created();
  ASSERT_EQ(issues.size(), 1u);
  const auto& issue = issues[0];
  EXPECT_EQ(issue.key, "IOS-1");
  EXPECT_EQ(issue.summary, "TestFlight: The Save button is hidden behind the keyboard on the checkout screen.");
  EXPECT_EQ(text_of(issue.description), "iPhone16,2, iOS 18.2, build 412\n") << issue.description.dump();
  EXPECT_TRUE(has_label(issue.labels, "testflight"));
  EXPECT_TRUE(has_label(issue.labels, "asc-feedback-" + kShot));
  ASSERT_EQ(issue.attachments.size(), 1u);
  EXPECT_EQ(issue.attachments[0].filename, "screenshot-1.png");
  EXPECT_EQ(issue.attachments[0].mime_type, "image/png");
  EXPECT_EQ(issue.attachments[0].bytes, w.cdn.png);  // every byte, NULs included

  const auto messages = w.slack.messages();
  ASSERT_EQ(messages.size(), 1u);
  const auto files = w.slack.files();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].name, "screenshot-1.png");
  EXPECT_EQ(files[0].bytes, w.cdn.png);
  EXPECT_EQ(files[0].channel, "C0FEEDBACK");
  EXPECT_EQ(files[0].thread_ts, messages[0].ts);  // in the post's thread

  const auto gh = w.github.issues("acme/ios-app");
  ASSERT_EQ(gh.size(), 1u);
  const std::string body = gh[0]["body"];
  EXPECT_NE(body.find("<!-- asc-webhookd asc-feedback-" + kShot + " -->"), std::string::npos) << body;
  EXPECT_NE(body.find("[Screenshot 1](" + w.cdn.server.url("/eimg/")), std::string::npos) << body;
  EXPECT_NE(body.find("expire"), std::string::npos) << body;

  // The record keeps text: the screenshot's bytes and its URL's signature are not in it.
  for (const auto& job : ev->jobs)
    for (const auto& a : job.attempt_log) {
      EXPECT_EQ(a.sent.find("IHDR"), std::string::npos) << a.sent.substr(0, 2000);
      EXPECT_EQ(a.sent.find("sig=s"), std::string::npos) << a.sent.substr(0, 2000);
    }
}

TEST(FeedbackTickets, ACrashMakesOneGithubIssueWithTheLogInItsBodyAndOneJiraIssueWithTheLogAttached) {
  FeedbackWorld w;
  // Longer than GitHub's body limit: its head and tail are kept.
  w.crash_log = "HEAD-OF-THE-LOG\n";
  for (int i = 0; w.crash_log.size() < 70'000; ++i) w.crash_log += "Thread 0 frame " + std::to_string(i) + " — TripStore.load\n";
  w.crash_log += "END-OF-THE-LOG";
  w.write_config();
  w.start();
  auto ev = w.deliver("12-betaFeedbackCrashSubmissionCreated.json", "fb-crash-1");
  ASSERT_TRUE(ev) << w.daemon->log();
  expect_all_done(*ev);

  const auto gh = w.github.issues("acme/ios-app");
  ASSERT_EQ(gh.size(), 1u);
  const std::string body = gh[0]["body"];
  EXPECT_NE(body.find("```\nHEAD-OF-THE-LOG"), std::string::npos) << body.substr(0, 500);
  EXPECT_NE(body.find("bytes of the crash log cut here"), std::string::npos);
  EXPECT_EQ(gh[0]["title"], "TestFlight: Crashed when I rotated the phone while the video was loading.");
  bool labelled = false;
  for (const auto& l : gh[0]["labels"]) labelled = labelled || l["name"] == "asc-feedback-" + kCrash;
  EXPECT_TRUE(labelled) << gh[0]["labels"].dump();

  const auto issues = w.jira.created();
  ASSERT_EQ(issues.size(), 1u);
  ASSERT_EQ(issues[0].attachments.size(), 1u);
  EXPECT_EQ(issues[0].attachments[0].filename, "crash_log.txt");
  EXPECT_EQ(issues[0].attachments[0].bytes.rfind("HEAD-OF-THE-LOG", 0), 0u);

  const auto files = w.slack.files();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].name, "crash_log.txt");
}

TEST(FeedbackTickets, AJiraCreateAnswered503AfterItWasMadeIsFoundByItsMarkerNotMadeAgain) {
  FeedbackWorld w;
  w.jira.set_search_lag(1s);  // Jira's search sees a new issue only after a while
  w.jira.answer_next_create_with({503, {{"Content-Type", "text/html"}}, "<html>Service Unavailable</html>"});
  w.write_config();
  w.start();
  auto ev = w.deliver("11-betaFeedbackScreenshotSubmissionCreated.json", "fb-503");
  ASSERT_TRUE(ev) << w.daemon->log();
  expect_all_done(*ev);
  const auto issues = w.jira.created();
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].attachments.size(), 1u);
  EXPECT_EQ(w.jira.attachment_posts(), 1);
  for (const auto& job : ev->jobs)
    if (job.kind == "jira") {
      ASSERT_GE(job.attempt_log.size(), 2u);
      EXPECT_NE(job.attempt_log.back().detail.find("IOS-1 found by its marker"), std::string::npos) << job.attempt_log.back().detail;
    }
}

TEST(FeedbackTickets, AConnectionCutAfterTheCreateIsFoundByItsMarkerNotMadeAgain) {
  FeedbackWorld w;
  w.jira.set_search_lag(1s);
  FakeResponse cut;
  cut.cut = true;
  w.jira.answer_next_create_with(cut);
  w.github.answer_next_create_with(cut);
  w.write_config();
  w.start();
  auto ev = w.deliver("12-betaFeedbackCrashSubmissionCreated.json", "fb-cut");
  ASSERT_TRUE(ev) << w.daemon->log();
  expect_all_done(*ev);
  ASSERT_EQ(w.jira.created().size(), 1u);
  EXPECT_EQ(w.jira.created()[0].attachments.size(), 1u);
  EXPECT_EQ(w.jira.attachment_posts(), 1);
  EXPECT_EQ(w.github.issues("acme/ios-app").size(), 1u);
}

TEST(FeedbackTickets, AReplayMakesNewJobsButNoNewTicketAndAnotherProjectGetsOne) {
  FeedbackWorld w;
  w.write_config();
  w.start();
  ASSERT_TRUE(w.deliver("11-betaFeedbackScreenshotSubmissionCreated.json", "fb-replay")) << w.daemon->log();
  ASSERT_EQ(w.jira.created().size(), 1u);

  auto replay = w.cli({"event", "replay", "fb-replay"});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  auto again = w.settle("fb-replay", 6);
  ASSERT_TRUE(again) << w.daemon->log();
  expect_all_done(*again);
  EXPECT_EQ(w.jira.created().size(), 1u);
  EXPECT_EQ(w.jira.created()[0].attachments.size(), 1u);  // not attached twice
  EXPECT_EQ(w.jira.attachment_posts(), 1);
  EXPECT_EQ(w.github.issues("acme/ios-app").size(), 1u);
  for (std::size_t i = 3; i < again->jobs.size(); ++i)
    if (again->jobs[i].kind != "slack") {
      ASSERT_FALSE(again->jobs[i].attempt_log.empty());
      EXPECT_NE(again->jobs[i].attempt_log.back().detail.find("found by its marker"), std::string::npos)
          << again->jobs[i].attempt_log.back().detail;
    }
  EXPECT_EQ(w.slack.messages().size(), 2u);  // a post is no ticket: the replay posts again

  // The rule now files into MOB: the replay makes one there.
  w.restart("MOB");
  replay = w.cli({"event", "replay", "fb-replay"});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  auto moved = w.settle("fb-replay", 9);
  ASSERT_TRUE(moved) << w.daemon->log();
  expect_all_done(*moved);
  const auto issues = w.jira.created();
  ASSERT_EQ(issues.size(), 2u);
  EXPECT_EQ(issues[1].key, "MOB-1");
  EXPECT_EQ(issues[1].attachments.size(), 1u);
  EXPECT_EQ(w.github.issues("acme/ios-app").size(), 1u);  // same repository: still one
}

TEST(FeedbackTickets, AnExpiredScreenshotUrlIsFetchedAgainFromAppleAndAttached) {
  FeedbackWorld w;
  w.first_url_expired = true;
  w.write_config();
  w.start();
  auto ev = w.deliver("11-betaFeedbackScreenshotSubmissionCreated.json", "fb-expired");
  ASSERT_TRUE(ev) << w.daemon->log();
  expect_all_done(*ev);
  EXPECT_GE(w.cdn.refused.load(), 1);
  EXPECT_GE(w.submission_gets.load(), 2);  // asked again for a URL that works
  ASSERT_EQ(w.jira.created().size(), 1u);
  ASSERT_EQ(w.jira.created()[0].attachments.size(), 1u);
  EXPECT_EQ(w.jira.created()[0].attachments[0].bytes, w.cdn.png);
}

TEST(FeedbackTickets, AnAttachmentOverTheLimitIsSkippedAndNamedInTheIssue) {
  FeedbackWorld w;
  w.jira.set_upload_limit(1000);  // the screenshot is 4 KB
  w.write_config();
  w.start();
  auto ev = w.deliver("11-betaFeedbackScreenshotSubmissionCreated.json", "fb-big");
  ASSERT_TRUE(ev) << w.daemon->log();
  expect_all_done(*ev);
  const auto issues = w.jira.created();
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_TRUE(issues[0].attachments.empty());
  EXPECT_NE(text_of(issues[0].description).find("Not attached: screenshot-1.png (4.0 KB), over this Jira's attachment limit of 1000 bytes."),
            std::string::npos)
      << issues[0].description.dump();
}

}  // namespace
}  // namespace asc_webhookd::test
