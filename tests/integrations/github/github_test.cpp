// GitHub actions through the real delivery engine against the fake GitHub:
// workflow_dispatch with inputs, repository_dispatch with the default and a
// templated client_payload, GitHub App installation tokens (minted, reused,
// refreshed once on 401), and GitHub's own message kept on a final error.
#include "support/fake_github.hpp"
#include "support/keys.hpp"
#include "support/pipeline.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace asc_webhookd::test {
namespace {

using json = nlohmann::json;

const char* kUpload = "events/buildUploadStateUpdated.json";
const char* kVersion = "events/appStoreVersionAppVersionStateUpdated.json";

std::string token_connection(const FakeGithub& gh) {
  return "connections:\n  github:\n    default:\n      token: ghp_test_token_1\n      api_url: " + gh.api_url() + "\n";
}

TEST(GithubAction, WorkflowDispatchSendsRefInputsAndGithubHeaders) {
  FakeGithub gh;
  gh.add_token("ghp_test_token_1");
  gh.add_repo("acme/ios-app", {{"submit.yml", {{"upload_id", "version", "build"}, {"upload_id"}}}});
  TestServer server(basic_config("", token_connection(gh) + R"(rules:
  - name: submit
    when: { event: buildUploadStateUpdated, to: COMPLETE }
    actions:
      - github:
          repo: acme/ios-app
          workflow: submit.yml
          ref: main
          inputs:
            upload_id: "{{event.instance.id}}"
            version: "{{instance.attributes.cfBundleShortVersionString}}"
            build: "{{instance.attributes.cfBundleVersion}}"
)"));
  auto body = fixture_event(kUpload, "gh-wf-1", "upload-42", "COMPLETE");
  ASSERT_EQ(post_signed(server.port(), "app", body, "s3cret").status, 200);
  auto ev = wait_event(server.store(), "gh-wf-1", settled);
  ASSERT_TRUE(ev);
  ASSERT_EQ(ev->jobs.at(0).state, "done") << ev->jobs.at(0).last_error;
  auto sent = gh.dispatches();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0]["path"], "/api/v3/repos/acme/ios-app/actions/workflows/submit.yml/dispatches");
  // Templates naming data that is absent (no enrichment here) render empty.
  EXPECT_EQ(sent[0]["body"], json({{"ref", "main"}, {"return_run_details", true},
                                   {"inputs", {{"upload_id", "upload-42"}, {"version", ""}, {"build", ""}}}}));
  // The run GitHub started is in the attempt's detail (event show, the console).
  ASSERT_EQ(ev->jobs[0].attempt_log.size(), 1u);
  EXPECT_EQ(ev->jobs[0].attempt_log[0].detail, "run https://github.com/acme/ios-app/actions/runs/9000001");
  auto req = gh.server.requests().at(0);
  EXPECT_EQ(req.header("accept"), "application/vnd.github+json");
  EXPECT_EQ(req.header("x-github-api-version"), "2022-11-28");
  EXPECT_EQ(req.header("authorization"), "Bearer ghp_test_token_1");
  EXPECT_EQ(req.header("user-agent").rfind("asc-webhookd/", 0), 0u);
}

// GitHub Enterprise Server before 3.21 refuses the field: the same
// attempt asks again without it, and the connection is not asked with it again.
void refused_run_details_is_asked_again_without(unsigned status) {
  FakeGithub gh;
  gh.add_token("ghp_test_token_1");
  gh.add_repo("acme/ios-app", {{"release.yml", {}}});
  gh.refuse_run_details(status);
  TestServer server(basic_config("", token_connection(gh) + R"(rules:
  - name: release
    when: { event: buildUploadStateUpdated }
    actions:
      - github: { repo: acme/ios-app, workflow: release.yml, ref: main }
)"));
  for (const char* id : {"ghes-1", "ghes-2"}) {
    ASSERT_EQ(post_signed(server.port(), "app", fixture_event(kUpload, id, std::string("u-") + id, "COMPLETE"), "s3cret").status, 200);
    auto ev = wait_event(server.store(), id, settled);
    ASSERT_TRUE(ev);
    ASSERT_EQ(ev->jobs.at(0).state, "done") << ev->jobs.at(0).last_error;
    ASSERT_EQ(ev->jobs[0].attempt_log.size(), 1u) << "one attempt, asked twice";
    EXPECT_EQ(ev->jobs[0].attempt_log[0].detail, "dispatched; no run link (this server refuses return_run_details)");
  }
  const auto requests = gh.server.requests();
  ASSERT_EQ(requests.size(), 3u);  // refused, again without, then without at once
  EXPECT_NE(requests[0].body.find("return_run_details"), std::string::npos);
  EXPECT_EQ(requests[1].body.find("return_run_details"), std::string::npos);
  EXPECT_EQ(requests[2].body.find("return_run_details"), std::string::npos);
  EXPECT_EQ(gh.dispatches().size(), 2u);  // one workflow run per event
}

TEST(GithubAction, AServerRefusingRunDetailsWith400IsAskedAgainWithoutThem) { refused_run_details_is_asked_again_without(400); }
TEST(GithubAction, AServerRefusingRunDetailsWith422IsAskedAgainWithoutThem) { refused_run_details_is_asked_again_without(422); }

TEST(GithubAction, RepositoryDispatchWithDefaultSummaryAndTemplatedPayload) {
  FakeGithub gh;
  gh.add_token("ghp_test_token_1");
  gh.add_repo("acme/ios-app");
  TestServer server(basic_config("", token_connection(gh) + R"(rules:
  - name: released
    when: { event: appStoreVersionAppVersionStateUpdated, to: READY_FOR_DISTRIBUTION }
    actions:
      - github: { repo: acme/ios-app, event_type: asc-released }
      - github:
          repo: acme/ios-app
          event_type: "asc-{{event.new_state}}"
          client_payload:
            state: "{{event.new_state}}"
            nested: { id: "{{event.id}}", list: ["{{event.type}}", 7, true] }
)"));
  auto body = fixture_event(kVersion, "gh-rd-1", "ver-1", "READY_FOR_DISTRIBUTION");
  ASSERT_EQ(post_signed(server.port(), "app", body, "s3cret").status, 200);
  auto ev = wait_event(server.store(), "gh-rd-1", settled);
  ASSERT_TRUE(ev);
  for (const auto& j : ev->jobs) EXPECT_EQ(j.state, "done") << j.last_error;
  auto sent = gh.dispatches();
  ASSERT_EQ(sent.size(), 2u);
  // The two actions are separate jobs and may run in either order.
  if (sent[0]["body"]["event_type"] != "asc-released") std::swap(sent[0], sent[1]);
  json summary = sent[0]["body"]["client_payload"];
  EXPECT_EQ(sent[0]["body"]["event_type"], "asc-released");
  EXPECT_LE(summary.size(), 10u);
  EXPECT_EQ(summary["asc_event_id"], "gh-rd-1");
  EXPECT_EQ(summary["instance_id"], "ver-1");
  EXPECT_EQ(summary["new_state"], "READY_FOR_DISTRIBUTION");
  EXPECT_EQ(summary["webhook"], "app");
  EXPECT_EQ(sent[1]["body"], json({{"event_type", "asc-READY_FOR_DISTRIBUTION"},
                                   {"client_payload", {{"state", "READY_FOR_DISTRIBUTION"},
                                                       {"nested", {{"id", "gh-rd-1"}, {"list", {"appStoreVersionAppVersionStateUpdated", 7, true}}}}}}}));
}

TEST(GithubAction, AppTokenIsMintedOnceReusedAndRefreshedOnceOn401) {
  auto key = make_rsa_key();
  TempDir dir;
  auto key_file = dir.write("app.pem", key.private_pem);
  FakeGithub gh;
  gh.set_app(4242, 77, key.public_pem);
  gh.add_repo("acme/ios-app");
  TestServer server(basic_config("", "connections:\n  github:\n    default:\n      app: { app_id: 4242, installation_id: 77, private_key: \"${file:" +
                                         key_file + "}\" }\n      api_url: " + gh.api_url() + R"(
rules:
  - name: released
    when: { event: appStoreVersionAppVersionStateUpdated }
    actions:
      - github: { repo: acme/ios-app, event_type: asc-state }
)"));
  for (int i = 1; i <= 2; ++i) {
    auto id = "gh-app-" + std::to_string(i);
    ASSERT_EQ(post_signed(server.port(), "app", fixture_event(kVersion, id, "v-" + std::to_string(i)), "s3cret").status, 200);
    auto ev = wait_event(server.store(), id, settled);
    ASSERT_TRUE(ev);
    ASSERT_EQ(ev->jobs.at(0).state, "done") << ev->jobs.at(0).last_error;
  }
  EXPECT_EQ(gh.tokens_minted(), 1);  // the second dispatch reused the cached token
  // The token stops working before its announced expiry: one 401, a fresh
  // token, the same attempt succeeds.
  gh.expire_installation_tokens();
  ASSERT_EQ(post_signed(server.port(), "app", fixture_event(kVersion, "gh-app-3", "v-3"), "s3cret").status, 200);
  auto ev = wait_event(server.store(), "gh-app-3", settled);
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->jobs.at(0).state, "done") << ev->jobs.at(0).last_error;
  EXPECT_EQ(ev->jobs.at(0).attempts, 1);
  EXPECT_EQ(gh.tokens_minted(), 2);
  auto sent = gh.dispatches();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0]["token"], "ghs_fake1");
  EXPECT_EQ(sent[1]["token"], "ghs_fake1");
  EXPECT_EQ(sent[2]["token"], "ghs_fake2");
}

TEST(GithubAction, FinalErrorKeepsGithubsMessage) {
  FakeGithub gh;
  gh.add_token("ghp_test_token_1");
  gh.add_repo("acme/ios-app", {{"submit.yml", {{"version"}, {}}}});
  TestServer server(basic_config("", token_connection(gh) + R"(rules:
  - name: submit
    when: { event: buildUploadStateUpdated }
    actions:
      - github: { repo: acme/ios-app, workflow: submit.yml, ref: main, inputs: { version: "1", colour: blue } }
      - github: { repo: acme/ios-app, workflow: submit.yml, ref: release/9 }
)"));
  ASSERT_EQ(post_signed(server.port(), "app", fixture_event(kUpload, "gh-422", "u-1"), "s3cret").status, 200);
  auto ev = wait_event(server.store(), "gh-422", settled);
  ASSERT_TRUE(ev);
  ASSERT_EQ(ev->jobs.size(), 2u);
  EXPECT_EQ(ev->jobs[0].state, "dead");
  EXPECT_NE(ev->jobs[0].last_error.find("HTTP 422: Unexpected inputs provided: [\"colour\"]"), std::string::npos) << ev->jobs[0].last_error;
  EXPECT_EQ(ev->jobs[0].attempts, 1);  // final: not retried
  EXPECT_NE(ev->jobs[1].last_error.find("No ref found for: release/9"), std::string::npos) << ev->jobs[1].last_error;
  EXPECT_TRUE(gh.dispatches().empty());
}

}  // namespace
}  // namespace asc_webhookd::test
