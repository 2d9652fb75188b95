// Each example config runs as the README's laptop recipe shows: `serve`
// outside systemd, its ${env:} secrets from the environment and its
// ${credential:} files from a CREDENTIALS_DIRECTORY the user made; then
// `send` posts the use case's sample event, and the fake service the
// example talks to sees the request. Only the services' addresses are
// changed (to the fakes on 127.0.0.1); everything else is the file as shipped.
#include "support/daemon.hpp"
#include "support/fake_asc.hpp"
#include "support/fake_discord.hpp"
#include "support/fake_github.hpp"
#include "support/fake_gitlab.hpp"
#include "support/fake_jira.hpp"
#include "support/fake_slack.hpp"
#include "support/fake_teams.hpp"
#include "support/keys.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <functional>
#include <thread>

namespace asc_webhookd::test {
namespace {

using json = nlohmann::json;
const std::string kSource = ASC_WEBHOOKD_SOURCE_DIR;
const std::string kFixtures = ASC_WEBHOOKD_FIXTURES;
const char* kHookSecret = "laptop-webhook-secret";

json api_answer(const std::string& name) {
  return json::parse(read_file(kFixtures + "/api/" + name));
}

// Waits (bounded, polling) until `done` holds.
bool eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 300; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

// One example on a laptop: the credentials directory, the environment,
// the config with the services' addresses pointed at the fakes.
struct Laptop {
  TempDir dir;
  KeyPair asc_key = make_p256_key();
  KeyPair github_key = make_rsa_key();
  FakeAsc asc{asc_key.public_pem, kAscKeyId, kAscIssuer};
  std::map<std::string, std::string> env;
  YAML::Node config;

  explicit Laptop(const std::string& example) {
    std::filesystem::create_directories(dir.file("credentials"));
    dir.write("credentials/asc-api-key.p8", asc_key.private_pem);
    dir.write("credentials/github-app.pem", github_key.private_pem);
    env = {{"CREDENTIALS_DIRECTORY", dir.file("credentials")}, {"ASC_WEBHOOK_SECRET", kHookSecret}};
    config = YAML::LoadFile(kSource + "/config/examples/" + example);
    config["server"]["listen"] = "127.0.0.1:0";
    config["store"]["path"] = dir.file("state.db");
    if (config["app_store_connect"]) config["app_store_connect"]["base_url"] = asc.base_url();
  }

  // Starts the daemon, sends `event` (a seed file) with `send`, and returns send's result.
  CommandResult run(const std::string& event) {
    YAML::Emitter out;
    out << config;
    const std::string path = dir.write("config.yaml", out.c_str());
    daemon = std::make_unique<Daemon>(std::vector<std::string>{"serve", "--config", path}, env);
    port = daemon->wait_listening();
    if (port == 0) return {-1, "", daemon->log()};
    return send(event);
  }
  // `send` needs only the webhook's secret (not the other tokens, not the credentials).
  CommandResult send(const std::string& event) const {
    return run_binary({"send", "--config", dir.file("config.yaml"), "--webhook", "ios-app", "--url",
                       "http://127.0.0.1:" + std::to_string(port) + "/webhooks/ios-app",
                       kFixtures + "/events/seed/" + event},
                      {{"ASC_WEBHOOK_SECRET", kHookSecret}});
  }
  std::uint16_t port = 0;
  std::unique_ptr<Daemon> daemon;
};

TEST(Examples, OneSubmitForReviewDispatchesTheWorkflowWithTheLookedUpVersion) {
  Laptop l("1-submit-for-review.yaml");
  FakeGithub github;
  github.add_token("github_pat_laptop");
  github.add_repo("acme/ios-app", {{"submit-for-review.yml", {{"upload_id", "version", "build"}, {}}}});
  l.env["GITHUB_TOKEN"] = "github_pat_laptop";
  l.config["connections"]["github"]["default"]["api_url"] = github.api_url();
  l.asc.serve("/v1/buildUploads/c0ffee00-1234-4abc-9def-0123456789ab", api_answer("buildUploads-COMPLETE.json"));
  auto sent = l.run("01-buildUploadStateUpdated-COMPLETE.json");
  ASSERT_EQ(sent.exit_code, 0) << sent.out << sent.err;
  ASSERT_TRUE(eventually([&] { return github.dispatches().size() == 1; })) << l.daemon->log();
  const json body = github.dispatches().at(0)["body"];
  EXPECT_EQ(body["inputs"]["version"], "1.101.0") << body.dump();
  EXPECT_EQ(body["inputs"]["upload_id"], "c0ffee00-1234-4abc-9def-0123456789ab");
}

TEST(Examples, TwoMergeBackDispatchesAsTheGithubApp) {
  Laptop l("2-merge-back.yaml");
  FakeGithub github;
  github.set_app(123456, 7890123, l.github_key.public_pem);
  github.add_repo("acme/ios-app");
  l.config["connections"]["github"]["default"]["api_url"] = github.api_url();
  l.asc.serve("/v1/appStoreVersions/b2a1c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
              api_answer("appStoreVersions-READY_FOR_DISTRIBUTION.json"));
  auto sent = l.run("09-appStoreVersionAppVersionStateUpdated-READY_FOR_DISTRIBUTION.json");
  ASSERT_EQ(sent.exit_code, 0) << sent.out << sent.err;
  ASSERT_TRUE(eventually([&] { return github.dispatches().size() == 1; })) << l.daemon->log();
  EXPECT_EQ(github.tokens_minted(), 1);
  EXPECT_NE(github.dispatches().at(0)["body"].dump().find("asc-released"), std::string::npos);
}

TEST(Examples, ThreeReleaseMovesJiraAndPostsToSlack) {
  Laptop l("3-release-jira-slack.yaml");
  FakeJira jira(FakeJira::Flavor::cloud);
  FakeSlack slack;
  jira.add_issue("IOS-7", "Ready for Release");
  jira.add_query("project = IOS AND fixVersion = \"1.101.0\" AND statusCategory != Done", {"IOS-7"});
  jira.add_version("IOS", {"10001", "1.101.0", false, ""});
  l.config["connections"]["jira"]["default"]["base_url"] = jira.base_url();
  l.config["connections"]["jira"]["default"]["flavor"] = "cloud";  // *.atlassian.net tells it by the host
  l.env["JIRA_TOKEN"] = FakeJira::kToken;
  l.env["SLACK_RELEASES_URL"] = slack.webhook_url();
  l.asc.serve("/v1/appStoreVersions/b2a1c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
              api_answer("appStoreVersions-READY_FOR_DISTRIBUTION.json"));
  auto sent = l.run("09-appStoreVersionAppVersionStateUpdated-READY_FOR_DISTRIBUTION.json");
  ASSERT_EQ(sent.exit_code, 0) << sent.out << sent.err;
  ASSERT_TRUE(eventually([&] { return jira.status("IOS-7") == "Done" && slack.webhook_posts().size() == 1; }))
      << l.daemon->log();
  EXPECT_TRUE(jira.versions("IOS").at(0).released);
}

TEST(Examples, FourFailureAlertsCarryApplesErrorAndTheRejection) {
  Laptop l("4-failure-alerts.yaml");
  FakeSlack slack;
  slack.add_channel("#ios-alerts", "C0ALERTS");
  l.config["connections"]["slack"]["bot"]["api_url"] = slack.api_url();
  l.env["SLACK_BOT_TOKEN"] = FakeSlack::kBotToken;
  l.asc.serve("/v1/buildUploads/c0ffee00-1234-4abc-9def-0123456789ab", api_answer("buildUploads-FAILED.json"));
  l.asc.serve("/v1/appStoreVersions/c3b2d4e5-6f70-4b8c-9dae-1f2a3b4c5d6e", api_answer("appStoreVersions-REJECTED.json"));
  auto sent = l.run("02-buildUploadStateUpdated-FAILED.json");
  ASSERT_EQ(sent.exit_code, 0) << sent.out << sent.err;
  ASSERT_TRUE(eventually([&] { return slack.messages().size() == 1; })) << l.daemon->log();
  EXPECT_NE(slack.messages().at(0).blocks.dump().find("ITMS-"), std::string::npos) << slack.messages().at(0).blocks.dump();
  // The rejection, from the same laptop: its version in the text, no double space.
  auto rejected = l.send("10-appStoreVersionAppVersionStateUpdated-REJECTED.json");
  ASSERT_EQ(rejected.exit_code, 0) << rejected.err;
  ASSERT_TRUE(eventually([&] { return slack.messages().size() == 2; })) << l.daemon->log();
  EXPECT_EQ(slack.messages().at(1).text, "<!here> Acme iOS 1.102.0 was rejected (REJECTED)");
}

TEST(Examples, FiveTestflightFeedbackPostsTheTestersComment) {
  Laptop l("5-testflight-feedback.yaml");
  FakeSlack slack;
  l.env["SLACK_FEEDBACK_URL"] = slack.webhook_url();
  l.asc.serve("/v1/betaFeedbackScreenshotSubmissions/AD8JvKbr0BK0Cj9OnM6WO6I",
              api_answer("betaFeedbackScreenshotSubmissions.json"));
  auto sent = l.run("11-betaFeedbackScreenshotSubmissionCreated.json");
  ASSERT_EQ(sent.exit_code, 0) << sent.out << sent.err;
  ASSERT_TRUE(eventually([&] { return slack.webhook_posts().size() == 1; })) << l.daemon->log();
  EXPECT_NE(slack.webhook_posts().at(0).dump().find("The Save button is hidden"), std::string::npos)
      << slack.webhook_posts().at(0).dump();
}

TEST(Examples, SixTeamsDiscordAndGitlab) {
  Laptop l("6-teams-discord-gitlab.yaml");
  FakeTeams teams;
  FakeDiscord discord;
  FakeGitlab gitlab;
  gitlab.add_project(4242, "acme/ios-app", {"main"}, "glptt-laptop-token");
  l.env["TEAMS_WEBHOOK_URL"] = teams.url();
  l.env["DISCORD_WEBHOOK_URL"] = discord.add_webhook("123456789012345678", "laptop-token");
  l.env["GITLAB_TRIGGER_TOKEN"] = "glptt-laptop-token";
  l.config["connections"]["gitlab"]["default"]["api_url"] = gitlab.api_url();
  auto sent = l.run("02-buildUploadStateUpdated-FAILED.json");
  ASSERT_EQ(sent.exit_code, 0) << sent.out << sent.err;
  ASSERT_TRUE(eventually([&] { return teams.runs().size() == 1 && discord.messages().size() == 1; })) << l.daemon->log();
  auto complete = l.send("01-buildUploadStateUpdated-COMPLETE.json");
  ASSERT_EQ(complete.exit_code, 0) << complete.err;
  ASSERT_TRUE(eventually([&] { return gitlab.pipelines().size() == 1; })) << l.daemon->log();
  EXPECT_EQ(gitlab.pipelines().at(0).variables.at("ASC_UPLOAD_ID"), "c0ffee00-1234-4abc-9def-0123456789ab");
}

}  // namespace
}  // namespace asc_webhookd::test
