// The one retry decision, as a table: each integration's answers (GitHub,
// Slack's Web API and incoming webhooks, Jira, plain HTTP; docs/design.md
// "Retries") and the decision its RetryPolicy reaches.
#include "asc_webhookd/integrations/github/run.hpp"
#include "asc_webhookd/integrations/jira/run.hpp"
#include "asc_webhookd/integrations/slack/run.hpp"
#include "asc_webhookd/outbound/retry.hpp"

#include <gtest/gtest.h>

namespace asc_webhookd::outbound {
namespace {

using namespace std::chrono_literals;
constexpr std::int64_t kNow = 1'750'000'000'000;  // 2025-06-15T15:06:40Z

enum class Service { plain, github, slack_api, jira };

const RetryPolicy& policy(Service s) {
  switch (s) {
    case Service::github: return actions::detail::github_policy();
    case Service::slack_api: return actions::detail::slack_api_policy();
    case Service::jira: return actions::detail::jira_policy();
    case Service::plain: break;
  }
  return kPlainHttp;
}

struct Row {
  const char* name;
  Service service;
  std::optional<unsigned> status;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  Verdict verdict;
  std::optional<std::chrono::milliseconds> wait;
};

void PrintTo(const Row& r, std::ostream* os) { *os << r.name; }

class Decide : public ::testing::TestWithParam<Row> {};

TEST_P(Decide, Table) {
  const auto& row = GetParam();
  AttemptResult r;
  r.status = row.status;
  r.headers = row.headers;
  r.body = row.body;
  if (!row.status) r.error = "cannot connect to 127.0.0.1:1: Connection refused";
  auto d = decide(policy(row.service), r, kNow);
  EXPECT_EQ(d.verdict, row.verdict) << d.reason;
  EXPECT_EQ(d.wait, row.wait);
  EXPECT_EQ(d.reason.empty(), row.verdict == Verdict::success) << d.reason;
}

const std::string kSecondary =
    R"({"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."})";

INSTANTIATE_TEST_SUITE_P(
    Services, Decide,
    ::testing::Values(
        Row{"plain_200", Service::plain, 200, {}, "", Verdict::success, {}},
        Row{"plain_204", Service::plain, 204, {}, "", Verdict::success, {}},
        Row{"plain_no_answer", Service::plain, std::nullopt, {}, "", Verdict::retry, {}},
        Row{"plain_500", Service::plain, 500, {}, "", Verdict::retry, {}},
        Row{"plain_502", Service::plain, 502, {}, "", Verdict::retry, {}},
        Row{"plain_503_retry_after", Service::plain, 503, {{"Retry-After", "7"}}, "", Verdict::retry, 7s},
        Row{"plain_429", Service::plain, 429, {}, "", Verdict::retry, {}},
        Row{"plain_429_retry_after", Service::plain, 429, {{"retry-after", "30"}}, "", Verdict::retry, 30s},
        Row{"plain_429_http_date", Service::plain, 429, {{"Retry-After", "Sun, 15 Jun 2025 15:07:40 GMT"}}, "", Verdict::retry, 60s},
        Row{"plain_400", Service::plain, 400, {}, "", Verdict::final, {}},
        Row{"plain_401", Service::plain, 401, {}, "", Verdict::final, {}},
        Row{"plain_403", Service::plain, 403, {{"retry-after", "60"}}, "", Verdict::final, {}},
        Row{"plain_404", Service::plain, 404, {}, "", Verdict::final, {}},
        Row{"plain_408", Service::plain, 408, {}, "", Verdict::final, {}},
        Row{"plain_409", Service::plain, 409, {}, "", Verdict::final, {}},
        Row{"plain_410", Service::plain, 410, {}, "", Verdict::final, {}},
        Row{"plain_422", Service::plain, 422, {}, "", Verdict::final, {}},
        Row{"plain_301", Service::plain, 301, {}, "", Verdict::final, {}},
        Row{"github_204", Service::github, 204, {}, "", Verdict::success, {}},
        Row{"github_primary_limit_403", Service::github, 403, {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", "1750000120"}}, R"({"message":"API rate limit exceeded for installation ID 1."})", Verdict::retry, 120s},
        Row{"github_403_retry_after", Service::github, 403, {{"retry-after", "60"}}, "", Verdict::retry, 60s},
        Row{"github_secondary_limit_403", Service::github, 403, {}, kSecondary, Verdict::retry, 60s},
        Row{"github_secondary_limit_429", Service::github, 429, {}, kSecondary, Verdict::retry, 60s},
        Row{"github_429_retry_after", Service::github, 429, {{"retry-after", "30"}}, kSecondary, Verdict::retry, 30s},
        Row{"github_502", Service::github, 502, {}, R"({"message":"Server Error"})", Verdict::retry, {}},
        Row{"github_401", Service::github, 401, {}, R"({"message":"Bad credentials"})", Verdict::final, {}},
        Row{"github_403_permission", Service::github, 403, {}, R"({"message":"Resource not accessible by personal access token"})", Verdict::final, {}},
        Row{"github_404", Service::github, 404, {}, R"({"message":"Not Found"})", Verdict::final, {}},
        Row{"github_422", Service::github, 422, {}, R"({"message":"No more than 10 properties are allowed; 14 were supplied."})", Verdict::final, {}},
        Row{"slack_ok", Service::slack_api, 200, {}, R"({"ok":true,"channel":"C1","ts":"1.000100"})", Verdict::success, {}},
        Row{"slack_channel_not_found", Service::slack_api, 200, {}, R"({"ok":false,"error":"channel_not_found"})", Verdict::final, {}},
        Row{"slack_invalid_auth", Service::slack_api, 200, {}, R"({"ok":false,"error":"invalid_auth"})", Verdict::final, {}},
        Row{"slack_rate_limited_200", Service::slack_api, 200, {}, R"({"ok":false,"error":"rate_limited"})", Verdict::retry, 1s},
        Row{"slack_ratelimited_200_retry_after", Service::slack_api, 200, {{"Retry-After", "3"}}, R"({"ok":false,"error":"ratelimited"})", Verdict::retry, 3s},
        Row{"slack_ratelimited_429", Service::slack_api, 429, {{"Retry-After", "1"}}, R"({"ok":false,"error":"ratelimited"})", Verdict::retry, 1s},
        Row{"slack_not_json", Service::slack_api, 200, {}, "<html>", Verdict::retry, 1s},
        Row{"slack_503", Service::slack_api, 503, {}, "<html>Service Unavailable</html>", Verdict::retry, {}},
        Row{"slack_webhook_ok", Service::plain, 200, {}, "ok", Verdict::success, {}},
        Row{"slack_webhook_no_service", Service::plain, 404, {}, "no_service", Verdict::final, {}},
        Row{"slack_webhook_archived", Service::plain, 410, {}, "channel_is_archived", Verdict::final, {}},
        Row{"slack_webhook_invalid_payload", Service::plain, 400, {}, "invalid_payload", Verdict::final, {}},
        Row{"slack_webhook_rollup_error", Service::plain, 500, {}, "rollup_error", Verdict::retry, {}},
        Row{"jira_409", Service::jira, 409, {}, R"({"errorMessages":["conflicting update"]})", Verdict::retry, {}},
        Row{"jira_429", Service::jira, 429, {{"Retry-After", "5"}, {"X-RateLimit-Reset", "2099-01-01T00:00Z"}}, "", Verdict::retry, 5s},
        Row{"jira_429_reset", Service::jira, 429, {{"X-RateLimit-Reset", "2025-06-15T15:10Z"}}, "", Verdict::retry, 200s},
        Row{"jira_503", Service::jira, 503, {{"Retry-After", "5"}}, "{}", Verdict::retry, 5s},
        Row{"jira_400", Service::jira, 400, {}, R"({"errorMessages":["Error in the JQL Query"]})", Verdict::final, {}},
        Row{"jira_401", Service::jira, 401, {}, "", Verdict::final, {}},
        Row{"jira_403", Service::jira, 403, {{"retry-after", "60"}}, "", Verdict::final, {}},
        Row{"jira_404", Service::jira, 404, {}, "", Verdict::final, {}},
        Row{"jira_410", Service::jira, 410, {}, "", Verdict::final, {}}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(RetryAfter, Forms) {
  EXPECT_EQ(parse_retry_after("0", kNow), 0ms);
  EXPECT_EQ(parse_retry_after(" 12 ", kNow), 12s);
  EXPECT_EQ(parse_retry_after("Sun, 15 Jun 2025 15:06:00 GMT", kNow), 0ms);  // in the past
  EXPECT_FALSE(parse_retry_after("", kNow));
  EXPECT_FALSE(parse_retry_after("soon", kNow));
  EXPECT_FALSE(parse_retry_after("-5", kNow));
}

TEST(Decide, DecisionsReachedWithoutAServer) {
  EXPECT_EQ(final_decision("bad template").verdict, Verdict::final);
  EXPECT_EQ(retry_decision("no token in the answer").verdict, Verdict::retry);
  EXPECT_FALSE(retry_decision("x").wait);
}

}  // namespace
}  // namespace asc_webhookd::outbound
