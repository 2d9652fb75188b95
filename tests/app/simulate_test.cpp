// `simulate` on the seven example configs of config/examples/ (each also
// passes check-config), run as the real binary: the matching rules and the
// exact requests, with every credential masked.
#include "asc_webhookd/config/loader.hpp"

#include "support/daemon.hpp"
#include "support/keys.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <set>

namespace asc_webhookd::test {
namespace {

const std::string kSource = ASC_WEBHOOKD_SOURCE_DIR;
const std::string kSeed = std::string(ASC_WEBHOOKD_FIXTURES) + "/events/seed/";
const std::string kApi = std::string(ASC_WEBHOOKD_FIXTURES) + "/api/";

// The environment the examples read their secrets from.
struct ExampleEnv {
  TempDir dir;
  std::map<std::string, std::string> env;
  ExampleEnv() {
    std::filesystem::create_directories(dir.file("creds"));
    dir.write("creds/github-app.pem", make_rsa_key().private_pem);
    dir.write("creds/asc-api-key.p8", make_p256_key().private_pem);
    env = {{"ASC_WEBHOOK_SECRET", "demo-webhook-secret"},
           {"GITHUB_TOKEN", "ghp_SECRETGITHUBTOKEN"},
           {"JIRA_TOKEN", "SECRETJIRATOKEN"},
           {"SLACK_RELEASES_URL", "https://hooks.slack.com/services/T0/B0/SECRETRELEASES"},
           {"SLACK_BOT_TOKEN", "xoxb-SECRETBOT"},
           {"SLACK_FEEDBACK_URL", "https://hooks.slack.com/services/T0/B1/SECRETFEEDBACK"},
           {"TEAMS_WEBHOOK_URL", "https://default0123.45.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/abc/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=SECRETTEAMSSIG"},
           {"DISCORD_WEBHOOK_URL", "https://discord.com/api/webhooks/123456789012345678/SECRETDISCORDTOKEN"},
           {"GITLAB_TRIGGER_TOKEN", "glptt-SECRETGITLAB"},
           {"CREDENTIALS_DIRECTORY", dir.file("creds")}};
  }
};

std::string example(const std::string& name) { return kSource + "/config/examples/" + name; }

void expect_no_secret(const CommandResult& r) {
  for (const char* s : {"ghp_SECRETGITHUBTOKEN", "SECRETJIRATOKEN", "SECRETRELEASES", "xoxb-SECRETBOT", "SECRETFEEDBACK",
                        "SECRETTEAMSSIG", "SECRETDISCORDTOKEN", "SECRETGITLAB", "ghs_", "BEGIN PRIVATE KEY"})
    EXPECT_EQ(r.out.find(s) == std::string::npos && r.err.find(s) == std::string::npos, true) << s;
}

void expect_has(const std::string& out, const std::string& text) {
  EXPECT_NE(out.find(text), std::string::npos) << "missing: " << text << "\n--- output:\n" << out;
}

TEST(Examples, EveryExampleConfigPassesCheckConfig) {
  ExampleEnv e;
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kSource + "/config/examples")) {
    if (entry.path().extension() != ".yaml") continue;  // github/: the sample workflows
    auto r = run_binary({"check-config", "--config", entry.path().string()}, e.env);
    EXPECT_EQ(r.exit_code, 0) << entry.path() << "\n" << r.err;
    ++n;
  }
  EXPECT_EQ(n, 8);
}

// The sample workflows in config/examples/github/ take what the example
// rules send: the same workflow_dispatch inputs, the same dispatch type.
TEST(Examples, SampleWorkflowsMatchTheExampleRules) {
  const config::Environment env = config::Environment::process(config::Secrets::skip);
  auto submit = config::load_config_file(example("1-submit-for-review.yaml"), env);
  auto merge = config::load_config_file(example("2-merge-back.yaml"), env);
  ASSERT_TRUE(submit.ok()) << submit.errors_text();
  ASSERT_TRUE(merge.ok()) << merge.errors_text();
  const auto& dispatch = std::get<config::GithubAction>(submit.config->rules.at(0).actions.at(0));
  ASSERT_TRUE(dispatch.workflow);
  const YAML::Node wf = YAML::LoadFile(kSource + "/config/examples/github/" + *dispatch.workflow);
  std::set<std::string> declared, sent;
  for (const auto& in : wf["on"]["workflow_dispatch"]["inputs"]) {
    declared.insert(in.first.as<std::string>());
    if (!in.second["required"].as<bool>(false)) continue;
    EXPECT_TRUE(dispatch.inputs.count(in.first.as<std::string>())) << in.first.as<std::string>();
  }
  for (const auto& [name, value] : dispatch.inputs) sent.insert(name);
  EXPECT_EQ(declared, sent);
  const auto& repo_dispatch = std::get<config::GithubAction>(merge.config->rules.at(0).actions.at(0));
  ASSERT_TRUE(repo_dispatch.event_type);
  const YAML::Node mb = YAML::LoadFile(kSource + "/config/examples/github/merge-back.yml");
  std::set<std::string> types;
  for (const auto& t : mb["on"]["repository_dispatch"]["types"]) types.insert(t.as<std::string>());
  EXPECT_TRUE(types.count(repo_dispatch.event_type->text)) << repo_dispatch.event_type->text;
}

TEST(Simulate, UseCase1SubmitForReviewWithEnrichmentData) {
  ExampleEnv e;
  auto r = run_binary({"simulate", "--config", example("1-submit-for-review.yaml"), "--instance", kApi + "buildUploads-COMPLETE.json",
                       kSeed + "01-buildUploadStateUpdated-COMPLETE.json", kSeed + "02-buildUploadStateUpdated-FAILED.json"},
                      e.env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_has(r.out, "rule submit-when-processed matches\n  action 1: github\n"
                    "    POST https://api.github.com/repos/acme/ios-app/actions/workflows/submit-for-review.yml/dispatches\n"
                    "    Accept: application/vnd.github+json\n    Authorization: Bearer <redacted>\n"
                    "    X-GitHub-Api-Version: 2022-11-28\n");
  expect_has(r.out, "\"build\": \"1\"");
  expect_has(r.out, "\"version\": \"1.101.0\"");
  expect_has(r.out, "\"ref\": \"main\"");
  expect_has(r.out, "02-buildUploadStateUpdated-FAILED.json: buildUploadStateUpdated");
  expect_has(r.out, "no rule matches");
  expect_no_secret(r);
}

// The operator's guide (docs/operating.md, "Customer reviews") shows the
// built-in review messages as `simulate` renders them for the 1-star and
// 5-star fixtures with the reviews example: the same bytes, so the page
// cannot drift from what the daemon sends.
TEST(Simulate, UseCase7TheOperatorsGuideShowsTheBuiltInReviewMessagesAsRendered) {
  ExampleEnv e;
  const std::string fixtures = std::string(ASC_WEBHOOKD_FIXTURES) + "/events/";
  auto r = run_binary({"simulate", "--config", example("7-customer-reviews.yaml"), fixtures + "customerReviewCreated-1star.json",
                       fixtures + "customerReviewCreated-5star.json"}, e.env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_has(r.out, "rule bad-reviews matches\n  action 1: slack\n    POST https://slack.com/api/chat.postMessage\n");
  expect_has(r.out, "rule praise matches\n");
  expect_has(r.out, "★☆☆☆☆");
  expect_has(r.out, "★★★★★");
  expect_no_secret(r);
  const std::string guide = read_file(kSource + "/docs/operating.md");
  const std::string begin = "<!-- review-messages:begin -->\n", end = "<!-- review-messages:end -->";
  const auto b = guide.find(begin), en = guide.find(end);
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(en, std::string::npos);
  std::string shown = guide.substr(b + begin.size(), en - b - begin.size());
  // ```text, the command line, the output, ```.
  const std::string command = "$ asc-webhookd simulate --config config/examples/7-customer-reviews.yaml \\\n"
                              "    tests/fixtures/events/customerReviewCreated-1star.json \\\n"
                              "    tests/fixtures/events/customerReviewCreated-5star.json\n";
  ASSERT_EQ(shown.rfind("```text\n" + command, 0), 0u) << shown.substr(0, 300);
  shown = shown.substr(8 + command.size());
  ASSERT_GE(shown.size(), 4u);
  shown.resize(shown.size() - 4);  // "```\n"
  std::string out = r.out;
  for (auto at = out.find(fixtures); at != std::string::npos; at = out.find(fixtures))
    out.replace(at, fixtures.size(), "tests/fixtures/events/");
  EXPECT_EQ(shown, out);
}

// --answer: the same attempt stages as the daemon, with every request
// answered by the scripted status, and the decision the engine would record.
TEST(Simulate, AScriptedAnswerShowsTheRetryDecision) {
  ExampleEnv e;
  const std::string event = kSeed + "01-buildUploadStateUpdated-COMPLETE.json";
  auto retried = run_binary({"simulate", "--config", example("1-submit-for-review.yaml"), "--answer", "503", event}, e.env);
  ASSERT_EQ(retried.exit_code, 0) << retried.err;
  expect_has(retried.out, "    answered 503: retry, next try in 5s (HTTP 503)\n");  // initial_backoff, no jitter shown
  auto limited = run_binary({"simulate", "--config", example("1-submit-for-review.yaml"), "--answer", "429", event}, e.env);
  expect_has(limited.out, "    answered 429: retry, next try in");
  auto dead = run_binary({"simulate", "--config", example("1-submit-for-review.yaml"), "--answer", "422", event}, e.env);
  expect_has(dead.out, "    answered 422: dead (HTTP 422)\n");
  auto done = run_binary({"simulate", "--config", example("1-submit-for-review.yaml"), "--answer", "204", event}, e.env);
  expect_has(done.out, "    answered 204: done\n");
  // Slack's Web API reads its body: a 200 that is not JSON is retried.
  auto slack = run_binary({"simulate", "--config", example("4-failure-alerts.yaml"), "--answer", "200",
                           kSeed + "02-buildUploadStateUpdated-FAILED.json"}, e.env);
  expect_has(slack.out, "    answered 200: retry, next try in 5s (slack: the answer is not JSON)\n");
  auto bad = run_binary({"simulate", "--config", example("1-submit-for-review.yaml"), "--answer", "2000", event}, e.env);
  EXPECT_EQ(bad.exit_code, 2);
  expect_has(bad.err, "--answer takes an HTTP status from 100 to 599");
}

TEST(Simulate, UseCase2MergeBackMintsAnAppTokenThenDispatches) {
  ExampleEnv e;
  auto r = run_binary({"simulate", "--config", example("2-merge-back.yaml"),
                       kSeed + "09-appStoreVersionAppVersionStateUpdated-READY_FOR_DISTRIBUTION.json"}, e.env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_has(r.out, "    POST https://api.github.com/app/installations/7890123/access_tokens\n");
  expect_has(r.out, "    POST https://api.github.com/repos/acme/ios-app/dispatches\n");
  expect_has(r.out, "\"event_type\": \"asc-released\"");
  expect_has(r.out, "\"new_state\": \"READY_FOR_DISTRIBUTION\"");
  expect_no_secret(r);
}

TEST(Simulate, UseCase3JiraThenSlackOnRelease) {
  ExampleEnv e;
  auto r = run_binary({"simulate", "--config", example("3-release-jira-slack.yaml"), "--instance",
                       kApi + "appStoreVersions-READY_FOR_DISTRIBUTION.json",
                       kSeed + "09-appStoreVersionAppVersionStateUpdated-READY_FOR_DISTRIBUTION.json"}, e.env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_has(r.out, "    POST https://acme.atlassian.net/rest/api/3/search/jql\n    Authorization: Basic <redacted>\n");
  expect_has(r.out, R"("jql": "project = IOS AND fixVersion = \"1.101.0\" AND statusCategory != Done")");
  expect_has(r.out, "    POST https://acme.atlassian.net/rest/api/3/issue/ISSUE-1/transitions\n");
  expect_has(r.out, "\"text\": \"Released to the App Store as 1.101.0\"");
  expect_has(r.out, "    PUT https://acme.atlassian.net/rest/api/3/version/10000\n");
  expect_has(r.out, "  action 2: slack\n    POST https://hooks.slack.com/<redacted>\n");
  expect_has(r.out, "✅ Acme iOS 1.101.0 — Ready for Distribution");
  expect_no_secret(r);
}

TEST(Simulate, HistoryComesFromTheEventsGivenInOrder) {
  ExampleEnv e;
  std::vector<std::string> args{"simulate", "--config", example("3-release-jira-slack.yaml"), "--instance",
                                kApi + "appStoreVersions-READY_FOR_DISTRIBUTION.json"};
  for (const char* f : {"03-appStoreVersionAppVersionStateUpdated-PREPARE_FOR_SUBMISSION.json", "04-appStoreVersionAppVersionStateUpdated-READY_FOR_REVIEW.json",
                        "05-appStoreVersionAppVersionStateUpdated-WAITING_FOR_REVIEW.json", "06-appStoreVersionAppVersionStateUpdated-DEVELOPER_REJECTED.json",
                        "07-appStoreVersionAppVersionStateUpdated-IN_REVIEW.json", "08-appStoreVersionAppVersionStateUpdated-PENDING_DEVELOPER_RELEASE.json",
                        "09-appStoreVersionAppVersionStateUpdated-READY_FOR_DISTRIBUTION.json"})
    args.push_back(kSeed + f);
  auto r = run_binary(args, e.env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_has(r.out, "⏱ Waiting for review: 17h 4m\\n⏱ In review: 28m\\n⏱ Submission to release: 5d 2h 22m");
}

TEST(Simulate, UseCase4AlertsCarryApplesErrorAndThreadRejections) {
  ExampleEnv e;
  auto r = run_binary({"simulate", "--config", example("4-failure-alerts.yaml"), "--instance", kApi + "buildUploads-FAILED.json",
                       kSeed + "02-buildUploadStateUpdated-FAILED.json"}, e.env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_has(r.out, "    POST https://slack.com/api/chat.postMessage\n    Authorization: Bearer <redacted>\n");
  expect_has(r.out, "ITMS-90683: Missing purpose string in Info.plist");
  expect_has(r.out, "\"channel\": \"#ios-alerts\"");
  expect_has(r.out, "⚠️ Acme iOS 1.101.0 (3) — Build upload: Failed");
  expect_no_secret(r);
}

TEST(Simulate, UseCase5TestflightFeedback) {
  ExampleEnv e;
  auto feedback = std::string(ASC_WEBHOOKD_FIXTURES) + "/events/betaFeedbackScreenshotSubmissionCreated.json";
  auto r = run_binary({"simulate", "--config", example("5-testflight-feedback.yaml"), feedback}, e.env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_has(r.out, "rule testflight-feedback matches\n  action 1: slack\n    POST https://hooks.slack.com/<redacted>\n");
  expect_has(r.out, "\"text\": \"New TestFlight feedback for Acme iOS: betaFeedbackScreenshotSubmissionCreated ");
  expect_no_secret(r);
}

// The tickets of a screenshot: the marker search, the create, and the
// multipart upload shown by file name and size (never its bytes).
TEST(Simulate, FeedbackTicketsShowTheCreateAndTheFilesByNameAndSize) {
  ExampleEnv e;
  auto r = run_binary({"simulate", "--config", example("8-feedback-tickets.yaml"), "--instance",
                       kApi + "betaFeedbackScreenshotSubmissions.json", kSeed + "11-betaFeedbackScreenshotSubmissionCreated.json"},
                      e.env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_has(r.out, "rule feedback-to-tickets matches\n  action 1: jira");
  expect_has(r.out, "\"jql\": \"project = \\\"IOS\\\" AND labels = \\\"asc-feedback-AD8JvKbr0BK0Cj9OnM6WO6I\\\"\"");
  expect_has(r.out, "POST https://acme.atlassian.net/rest/api/3/issue\n");
  expect_has(r.out, "\"summary\": \"TestFlight: The Save button is hidden behind the keyboard on the checkout screen.\"");
  expect_has(r.out, "POST https://acme.atlassian.net/rest/api/3/issue/ISSUE-1/attachments\n");
  expect_has(r.out, "X-Atlassian-Token: no-check\n");
  expect_has(r.out, "multipart/form-data: file \"screenshot-1.png\" (");
  expect_has(r.out, "  action 2: github\n");
  expect_has(r.out, "POST https://api.github.com/repos/acme/ios-app/issues\n");
  expect_has(r.out, "  action 3: slack\n");
  expect_has(r.out, "POST https://slack.com/api/files.getUploadURLExternal\n");
  expect_has(r.out, "POST https://slack.com/api/files.completeUploadExternal\n");
  expect_no_secret(r);
}

TEST(Simulate, UseCase6TeamsCardDiscordEmbedAndAGitlabPipeline) {
  ExampleEnv e;
  auto failed = run_binary({"simulate", "--config", example("6-teams-discord-gitlab.yaml"), "--instance", kApi + "buildUploads-FAILED.json",
                            kSeed + "02-buildUploadStateUpdated-FAILED.json"}, e.env);
  ASSERT_EQ(failed.exit_code, 0) << failed.err;
  expect_has(failed.out, "rule tell-failures matches\n  action 1: teams\n    POST https://default0123.45.environment.api.powerplatform.com:443/<redacted>\n");
  expect_has(failed.out, "\"contentType\": \"application/vnd.microsoft.card.adaptive\"");
  expect_has(failed.out, "\"type\": \"AdaptiveCard\"");
  expect_has(failed.out, "ITMS-90683: Missing purpose string in Info.plist");
  expect_has(failed.out, "  action 2: discord\n    POST https://discord.com/<redacted>\n");
  expect_has(failed.out, "\"title\": \"⚠️ Acme iOS 1.101.0 (3) — Build upload: Failed\"");
  expect_no_secret(failed);
  auto complete = run_binary({"simulate", "--config", example("6-teams-discord-gitlab.yaml"), "--instance", kApi + "buildUploads-COMPLETE.json",
                              kSeed + "01-buildUploadStateUpdated-COMPLETE.json"}, e.env);
  ASSERT_EQ(complete.exit_code, 0) << complete.err;
  expect_has(complete.out, "rule pipeline-when-processed matches\n  action 1: gitlab\n    POST https://gitlab.com/api/v4/projects/acme%2Fios-app/trigger/pipeline\n");
  expect_has(complete.out, "\"token\": \"<redacted>\"");
  expect_has(complete.out, "\"ASC_BUILD\": \"1\"");
  expect_no_secret(complete);
}

TEST(Simulate, BadInputsAreNamed) {
  ExampleEnv e;
  TempDir dir;
  auto not_event = dir.write("x.json", R"({"hello":1})");
  auto r = run_binary({"simulate", "--config", example("5-testflight-feedback.yaml"), not_event}, e.env);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("x.json"), std::string::npos) << r.err;
  r = run_binary({"simulate", "--config", example("5-testflight-feedback.yaml"), "--webhook", "nope", not_event}, e.env);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no webhook named \"nope\""), std::string::npos) << r.err;
  EXPECT_EQ(run_binary({"simulate", "--config", example("5-testflight-feedback.yaml")}, e.env).exit_code, 2);
}

}  // namespace
}  // namespace asc_webhookd::test
