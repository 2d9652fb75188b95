// The retry/final table of each service (outbound-apis.md §1.5, §2, §3.6;
// DESIGN.md §6), through the real delivery engine: one attempt against an
// endpoint that answers the way GitHub, Slack or Jira do, and the outcome
// recorded for it.
#include "support/fake_http.hpp"
#include "support/pipeline.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>

#include <ctime>

namespace asc_webhookd::test {
namespace {

struct Case {
  std::string name;
  std::string kind;  // github | slack_bot | slack_webhook | jira
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

// A reset a minute from now (GitHub sends Unix seconds).
const std::string kResetSoon = std::to_string(std::time(nullptr) + 60);

const std::string kSecondary =
    R"({"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest"})";

INSTANTIATE_TEST_SUITE_P(
    Services, Classification,
    ::testing::Values(
        Case{"github_204", "github", {204, {}, "", {}}, "done"},
        Case{"github_primary_limit_403", "github", json_answer(403, R"({"message":"API rate limit exceeded for installation ID 1."})", {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", kResetSoon}}), "retry"},
        Case{"github_secondary_limit_403", "github", json_answer(403, kSecondary), "retry"},
        Case{"github_429", "github", json_answer(429, kSecondary, {{"retry-after", "30"}}), "retry"},
        Case{"github_502", "github", json_answer(502, R"({"message":"Server Error"})"), "retry"},
        Case{"github_401", "github", json_answer(401, R"({"message":"Bad credentials","status":"401"})"), "dead"},
        Case{"github_403_permission", "github", json_answer(403, R"({"message":"Resource not accessible by personal access token"})"), "dead"},
        Case{"github_404", "github", json_answer(404, R"({"message":"Not Found","status":"404"})"), "dead"},
        Case{"github_422", "github", json_answer(422, R"({"message":"No more than 10 properties are allowed; 14 were supplied."})"), "dead"},
        Case{"github_400", "github", json_answer(400, R"({"message":"Problems parsing JSON"})"), "dead"},
        Case{"slack_ok", "slack_bot", json_answer(200, R"({"ok":true,"channel":"C1","ts":"1.000100"})"), "done"},
        Case{"slack_channel_not_found", "slack_bot", json_answer(200, R"({"ok":false,"error":"channel_not_found"})"), "dead"},
        Case{"slack_invalid_auth", "slack_bot", json_answer(200, R"({"ok":false,"error":"invalid_auth"})"), "dead"},
        Case{"slack_ratelimited_429", "slack_bot", json_answer(429, R"({"ok":false,"error":"ratelimited"})", {{"Retry-After", "1"}}), "retry"},
        Case{"slack_rate_limited_200", "slack_bot", json_answer(200, R"({"ok":false,"error":"rate_limited"})"), "retry"},
        Case{"slack_503", "slack_bot", {503, {{"Content-Type", "text/html"}}, "<html>Service Unavailable</html>", {}}, "retry"},
        Case{"slack_webhook_ok", "slack_webhook", {200, {{"Content-Type", "text/html"}}, "ok", {}}, "done"},
        Case{"slack_webhook_no_service", "slack_webhook", {404, {}, "no_service", {}}, "dead"},
        Case{"slack_webhook_archived", "slack_webhook", {410, {}, "channel_is_archived", {}}, "dead"},
        Case{"slack_webhook_invalid_payload", "slack_webhook", {400, {}, "invalid_payload", {}}, "dead"},
        Case{"slack_webhook_rollup_error", "slack_webhook", {500, {}, "rollup_error", {}}, "retry"},
        Case{"jira_409", "jira", json_answer(409, R"({"errorMessages":["conflicting update"],"errors":{}})"), "retry"},
        Case{"jira_429", "jira", json_answer(429, R"({"errorMessages":["Rate limit exceeded."]})", {{"Retry-After", "5"}, {"X-RateLimit-Reset", "2099-01-01T00:00Z"}}), "retry"},
        Case{"jira_503", "jira", json_answer(503, "{}", {{"Retry-After", "5"}}), "retry"},
        Case{"jira_400", "jira", json_answer(400, R"({"errorMessages":["Error in the JQL Query"],"errors":{}})"), "dead"},
        Case{"jira_401", "jira", {401, {}, "", {}}, "dead"},
        Case{"jira_403", "jira", json_answer(403, R"({"errorMessages":["You do not have permission"]})"), "dead"},
        Case{"jira_404", "jira", json_answer(404, R"({"errorMessages":["Issue does not exist or you do not have permission to see it."],"errors":{}})"), "dead"},
        Case{"jira_410", "jira", json_answer(410, R"({"errorMessages":["The requested API has been removed."],"errors":{}})"), "dead"}),
    [](const auto& p) { return p.param.name; });

}  // namespace
}  // namespace asc_webhookd::test
