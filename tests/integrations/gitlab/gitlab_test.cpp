// GitLab pipeline triggers through the real delivery engine against a fake
// built from GitLab's trigger API docs: ref and string variables rendered from the
// event, the project by path (url-encoded) or id, the pipeline's web_url in
// the attempt's detail, and GitLab's refusals (unknown ref 400, revoked
// token 404) final with its message — the trigger token never shown.
#include "support/fake_gitlab.hpp"
#include "support/pipeline.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace asc_webhookd::test {
namespace {

using json = nlohmann::json;

const char* kToken = "glptt-0123456789abcdef";

std::string gitlab_config(const FakeGitlab& gl, const std::string& actions) {
  return basic_config("", "connections:\n  gitlab:\n    default:\n      trigger_token: " + std::string(kToken) +
                              "\n      api_url: " + gl.api_url() + "\nrules:\n  - name: pipeline\n    when: { event: \"*\" }\n    actions:\n" + actions);
}

TEST(GitlabAction, TriggersThePipelineWithRefAndVariablesAndKeepsItsWebUrl) {
  FakeGitlab gl;
  gl.add_project(123456, "acme/ios-app", {"main", "release/2.3"}, kToken);
  TestServer server(gitlab_config(gl, R"(      - gitlab:
          project: acme/ios-app
          ref: "release/2.3"
          variables: { ASC_STATE: "{{event.new_state}}", ASC_UPLOAD: "{{event.instance.id}}", ASC_EVENT: "{{event.type}}" }
      - gitlab: { project: "123456", ref: main }
)"));
  ASSERT_EQ(post_signed(server.port(), "app", fixture_event("events/buildUploadStateUpdated.json", "gl-1", "up-9", "COMPLETE"), "s3cret").status, 200);
  auto ev = wait_event(server.store(), "gl-1", settled);
  ASSERT_TRUE(ev);
  ASSERT_EQ(ev->jobs.size(), 2u);
  for (const auto& j : ev->jobs) ASSERT_EQ(j.state, "done") << j.last_error;
  const auto pipelines = gl.pipelines();
  ASSERT_EQ(pipelines.size(), 2u);
  const auto& by_path = pipelines[0].ref == "release/2.3" ? pipelines[0] : pipelines[1];
  EXPECT_EQ(by_path.project, "acme/ios-app");
  EXPECT_EQ(by_path.variables, (std::map<std::string, std::string>{{"ASC_STATE", "COMPLETE"}, {"ASC_UPLOAD", "up-9"},
                                                                   {"ASC_EVENT", "buildUploadStateUpdated"}}));
  bool encoded = false;
  for (const auto& r : gl.server.requests()) {
    encoded = encoded || r.target == "/api/v4/projects/acme%2Fios-app/trigger/pipeline";
    EXPECT_EQ(r.header("content-type"), "application/json");
  }
  EXPECT_TRUE(encoded);
  const auto& job = ev->jobs[0].action_index == 0 ? ev->jobs[0] : ev->jobs[1];
  ASSERT_EQ(job.attempt_log.size(), 1u);
  EXPECT_EQ(job.attempt_log[0].http_status, 201);
  EXPECT_EQ(job.attempt_log[0].detail, "pipeline " + gl.server.url("/acme/ios-app/-/pipelines/" + std::to_string(by_path.id)));
  EXPECT_EQ(job.attempt_log[0].sent.find(kToken), std::string::npos) << job.attempt_log[0].sent;
}

TEST(GitlabAction, AnUnknownRefAndARevokedTokenAreFinalWithGitlabsMessage) {
  FakeGitlab gl;
  gl.add_project(1, "acme/ios-app", {"main"}, kToken);
  TestServer server(gitlab_config(gl, "      - gitlab: { project: acme/ios-app, ref: \"{{event.new_state}}\" }\n"));
  ASSERT_EQ(post_signed(server.port(), "app", fixture_event("events/buildUploadStateUpdated.json", "gl-ref", "up-1", "COMPLETE"), "s3cret").status, 200);
  auto ev = wait_event(server.store(), "gl-ref", settled);
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->jobs.at(0).state, "dead");
  EXPECT_EQ(ev->jobs[0].attempt_log.size(), 1u);
  EXPECT_NE(ev->jobs[0].last_error.find("Reference not found"), std::string::npos) << ev->jobs[0].last_error;

  gl.revoke(kToken);
  ASSERT_EQ(post_signed(server.port(), "app", fixture_event("events/buildUploadStateUpdated.json", "gl-tok", "up-2", "main"), "s3cret").status, 200);
  ev = wait_event(server.store(), "gl-tok", settled);
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->jobs.at(0).state, "dead");
  EXPECT_NE(ev->jobs[0].last_error.find("404 Not Found"), std::string::npos) << ev->jobs[0].last_error;
  EXPECT_EQ(ev->jobs[0].last_error.find(kToken), std::string::npos);
  EXPECT_TRUE(gl.pipelines().empty());
}

}  // namespace
}  // namespace asc_webhookd::test
