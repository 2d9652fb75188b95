// The retry decision end to end, a few rows of each service through the real
// delivery engine: one attempt against an endpoint that answers the way
// GitHub, Slack, Jira, Teams, Discord or GitLab do, and the outcome recorded
// for it. The whole table
// is tests/outbound/retry_test.cpp, on the one decision function.
#include "support/fake_http.hpp"
#include "support/pipeline.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>


namespace asc_webhookd::test {
namespace {

struct Case {
  std::string name;
  std::string kind;  // github | slack_bot | slack_webhook | jira | teams | discord | gitlab
  FakeResponse answer;
  std::string outcome;  // done | retry | dead
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

std::string action_for(const Case& c, const FakeHttpServer& fake) {
  std::string conn, action;
  if (c.kind == "github") {
    conn = "  github:\n    default:\n      token: ghp_x1234\n      api_url: " + fake.url("") + "\n";
    action = "      - github: { repo: acme/app, event_type: asc }\n";
  } else if (c.kind == "slack_bot") {
    conn = "  slack:\n    bot:\n      bot_token: xoxb-1234\n      api_url: " + fake.url("/api") + "\n";
    action = "      - slack: { connection: bot, channel: \"#c\", text: t }\n";
  } else if (c.kind == "slack_webhook") {
    conn = "  slack:\n    hook:\n      webhook_url: " + fake.url("/services/T/B/X") + "\n";
    action = "      - slack: { connection: hook }\n";
  } else if (c.kind == "teams") {
    conn = "  teams:\n    t:\n      webhook_url: \"" + fake.url("/workflows/abc/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=s1g") + "\"\n";
    action = "      - teams: { connection: t }\n";
  } else if (c.kind == "discord") {
    conn = "  discord:\n    d:\n      webhook_url: " + fake.url("/api/webhooks/123/tok3n") + "\n";
    action = "      - discord: { connection: d }\n";
  } else if (c.kind == "gitlab") {
    conn = "  gitlab:\n    default:\n      trigger_token: glptt-1234\n      api_url: " + fake.url("/api/v4") + "\n";
    action = "      - gitlab: { project: acme/ios-app, ref: main }\n";
  } else {
    conn = "  jira:\n    default:\n      base_url: " + fake.url("") + "\n      bearer_token: pat-1234\n";
    action = "      - jira: { jql: \"project = IOS\", transition: Done }\n";
  }
  return "delivery:\n  initial_backoff: 1h\n  max_backoff: 2h\nconnections:\n" + conn +
         "rules:\n  - name: r\n    when: { event: webhookPingCreated }\n    actions:\n" + action;
}

FakeResponse json_answer(int status, std::string body, std::map<std::string, std::string> headers = {}) {
  headers["Content-Type"] = "application/json";
  return {status, std::move(headers), std::move(body), {}};
}

class Classification : public ::testing::TestWithParam<Case> {};

TEST_P(Classification, FirstAttemptIsRecordedAs) {
  const Case& c = GetParam();
  FakeHttpServer fake([&](const FakeRequest&) { return c.answer; });
  TestServer server(basic_config("", action_for(c, fake)));
  ASSERT_EQ(post_signed(server.port(), "app", fixture_event("events/webhookPingCreated.json", "cls-1"), "s3cret").status, 200);
  auto ev = wait_event(server.store(), "cls-1", [](const store::EventView& e) { return !e.jobs.empty() && e.jobs[0].attempts >= 1; });
  ASSERT_TRUE(ev);
  const auto& job = ev->jobs[0];
  ASSERT_FALSE(job.attempt_log.empty());
  EXPECT_EQ(job.attempt_log[0].outcome, c.outcome) << job.last_error;
  EXPECT_EQ(job.state, c.outcome == "retry" ? "pending" : c.outcome);
}

const std::string kSecondary =
    R"({"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest"})";

INSTANTIATE_TEST_SUITE_P(
    Services, Classification,
    ::testing::Values(
        Case{"github_204", "github", {204, {}, "", {}}, "done"},
        Case{"github_secondary_limit_403", "github", json_answer(403, kSecondary), "retry"},
        Case{"github_404", "github", json_answer(404, R"({"message":"Not Found","status":"404"})"), "dead"},
        Case{"slack_channel_not_found", "slack_bot", json_answer(200, R"({"ok":false,"error":"channel_not_found"})"), "dead"},
        Case{"slack_rate_limited_200", "slack_bot", json_answer(200, R"({"ok":false,"error":"rate_limited"})"), "retry"},
        Case{"slack_webhook_ok", "slack_webhook", {200, {{"Content-Type", "text/html"}}, "ok", {}}, "done"},
        Case{"slack_webhook_no_service", "slack_webhook", {404, {}, "no_service", {}}, "dead"},
        Case{"jira_409", "jira", json_answer(409, R"({"errorMessages":["conflicting update"],"errors":{}})"), "retry"},
        Case{"jira_400", "jira", json_answer(400, R"({"errorMessages":["Error in the JQL Query"],"errors":{}})"), "dead"},
        // Teams Workflows : 202 and an empty body; the SAS scheme refused → final.
        Case{"teams_202", "teams", {202, {}, "", {}}, "done"},
        Case{"teams_200", "teams", {200, {}, "", {}}, "done"},
        Case{"teams_401", "teams", json_answer(401, R"({"error":{"code":"DirectApiAuthorizationRequired","message":"The request must be authenticated only by Shared Access scheme."}})"), "dead"},
        Case{"teams_404_flow_gone", "teams", json_answer(404, R"({"error":{"code":"WorkflowNotFound","message":"The workflow could not be found."}})"), "dead"},
        Case{"teams_429", "teams", json_answer(429, R"({"error":{"code":"WorkflowTriggerIsThrottled","message":"Rate limit is exceeded. Try again in 2 seconds."}})", {{"Retry-After", "2"}}), "retry"},
        Case{"teams_502", "teams", {502, {}, "Bad Gateway", {}}, "retry"},
        // Discord.
        Case{"discord_200", "discord", json_answer(200, R"({"id":"1300000000000000001","type":0,"webhook_id":"123"})"), "done"},
        Case{"discord_204", "discord", {204, {}, "", {}}, "done"},
        Case{"discord_400_form", "discord", json_answer(400, R"({"code":50035,"errors":{"embeds":{"0":{"description":{"_errors":[{"code":"BASE_TYPE_MAX_LENGTH","message":"Must be 4096 or fewer in length."}]}}}},"message":"Invalid Form Body"})"), "dead"},
        Case{"discord_401", "discord", json_answer(401, R"({"message":"Invalid Webhook Token","code":50027})"), "dead"},
        Case{"discord_404", "discord", json_answer(404, R"({"message":"Unknown Webhook","code":10015})"), "dead"},
        Case{"discord_429", "discord", json_answer(429, R"({"message":"You are being rate limited.","retry_after":0.57,"global":false})", {{"Retry-After", "1"}, {"X-RateLimit-Scope", "user"}}), "retry"},
        Case{"discord_502", "discord", {502, {}, "There was not a gateway available to process your request. Wait a bit and retry.", {}}, "retry"},
        // GitLab.
        Case{"gitlab_201", "gitlab", json_answer(201, R"({"id":257,"iid":118,"status":"created","source":"trigger","web_url":"http://127.0.0.1/acme/ios-app/-/pipelines/257"})"), "done"},
        Case{"gitlab_400_ref", "gitlab", json_answer(400, R"({"message":{"base":["Reference not found"]}})"), "dead"},
        Case{"gitlab_400_variables", "gitlab", json_answer(400, R"({"message":"variables needs to be a map of key-valued strings"})"), "dead"},
        Case{"gitlab_400_pipeline_limit", "gitlab", json_answer(400, R"({"message":{"base":["Too many pipelines created in the last minute. Try again later."]}})"), "retry"},
        Case{"gitlab_404", "gitlab", json_answer(404, R"({"message":"404 Not Found"})"), "dead"},
        Case{"gitlab_429", "gitlab", {429, {{"Content-Type", "text/plain"}, {"Retry-After", "60"}}, "Retry later", {}}, "retry"}),
    [](const auto& p) { return p.param.name; });

}  // namespace
}  // namespace asc_webhookd::test
