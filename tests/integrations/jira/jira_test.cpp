// Jira actions through the real delivery engine against the fake Jira, on
// Cloud (v3, search/jql token paging, ADF, Basic) and on Data Center (v2,
// startAt paging, string comments, Bearer): every page of the JQL,
// transition by name (any case) with skips, comments on the issues moved, the version release,
// and a retry that does not repeat what already succeeded.
#include "support/fake_http.hpp"
#include "support/fake_jira.hpp"
#include "support/pipeline.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <ctime>

namespace asc_webhookd::test {
namespace {

using json = nlohmann::json;
using Flavor = FakeJira::Flavor;

std::string today() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

std::string connection(const FakeJira& jira, Flavor f) {
  std::string c = "connections:\n  jira:\n    default:\n      base_url: " + jira.base_url() + "\n";
  if (f == Flavor::cloud)
    c += std::string("      flavor: cloud\n      email: ") + FakeJira::kEmail + "\n      api_token: " + FakeJira::kToken + "\n";
  else
    c += std::string("      bearer_token: ") + FakeJira::kPat + "\n";  // flavor auto: not *.atlassian.net → Data Center
  return c;
}

const char* kRule = R"(delivery:
  initial_backoff: 100ms
rules:
  - name: release
    when: { event: appStoreVersionAppVersionStateUpdated, to: READY_FOR_DISTRIBUTION }
    actions:
      - jira:
          jql: 'project = IOS AND labels = "asc-{{event.instance.id}}"'
          transition: done
          comment: "Released by {{rule.name}}\nstate {{event.new_state}}"
          release_version: { project: IOS, name: "2.3.0" }
)";

class JiraAction : public ::testing::TestWithParam<Flavor> {};

TEST_P(JiraAction, AllPagesTransitionByNameSkipsCommentsAndReleasesTheVersion) {
  const Flavor flavor = GetParam();
  FakeJira jira(flavor);
  jira.set_page_size(2);  // five issues: three pages
  jira.add_issue("IOS-1", "In Progress");
  jira.add_issue("IOS-2", "Ready for Release");
  jira.add_issue("IOS-3", "Done");   // already there: skipped
  jira.add_issue("IOS-4", "To Do");  // no Done transition from To Do: skipped
  jira.add_issue("IOS-5", "In Progress");
  jira.add_query("project = IOS AND labels = \"asc-ver-9\"", {"IOS-1", "IOS-2", "IOS-3", "IOS-4", "IOS-5"});
  jira.add_version("IOS", {"10001", "2.2.0", true, "2026-01-01"});
  jira.add_version("IOS", {"10002", "2.3.0", false, ""});
  TestServer server(basic_config("", connection(jira, flavor) + kRule));
  auto body = fixture_event("events/appStoreVersionAppVersionStateUpdated.json", "jira-1", "ver-9", "READY_FOR_DISTRIBUTION");
  ASSERT_EQ(post_signed(server.port(), "app", body, "s3cret").status, 200);
  auto ev = wait_event(server.store(), "jira-1", settled);
  ASSERT_TRUE(ev);
  const auto& job = ev->jobs.at(0);
  ASSERT_EQ(job.state, "done") << job.last_error;
  EXPECT_EQ(jira.status("IOS-1"), "Done");
  EXPECT_EQ(jira.status("IOS-2"), "Done");
  EXPECT_EQ(jira.status("IOS-3"), "Done");
  EXPECT_EQ(jira.status("IOS-4"), "To Do");
  EXPECT_EQ(jira.status("IOS-5"), "Done");
  EXPECT_EQ(jira.transitions_posted(), 3);
  const std::string detail = job.attempt_log.at(0).detail;
  // Only the issues it moved are commented on: a skipped one did not change.
  EXPECT_NE(detail.find("5 issue(s), 3 transitioned, 2 skipped, 3 commented"), std::string::npos) << detail;
  EXPECT_TRUE(jira.comments("IOS-3").empty());
  EXPECT_TRUE(jira.comments("IOS-4").empty());
  EXPECT_NE(detail.find("IOS-3 skipped: already Done"), std::string::npos) << detail;
  EXPECT_NE(detail.find("IOS-4 skipped: no transition \"done\" from To Do"), std::string::npos) << detail;
  for (const char* key : {"IOS-1", "IOS-2", "IOS-5"}) {
    auto c = jira.comments(key);
    ASSERT_EQ(c.size(), 1u) << key;
    if (flavor == Flavor::cloud) {
      EXPECT_EQ(c[0]["type"], "doc");
      EXPECT_EQ(c[0]["content"][0]["content"][0]["text"], "Released by release");
      EXPECT_EQ(c[0]["content"][1]["content"][0]["text"], "state READY_FOR_DISTRIBUTION");
    } else {
      EXPECT_EQ(c[0], "Released by release\nstate READY_FOR_DISTRIBUTION");
    }
  }
  auto versions = jira.versions("IOS");
  EXPECT_TRUE(versions[1].released);
  EXPECT_EQ(versions[1].release_date, today());
  // Every request said Accept-Language: en (transition names are localized)
  // and used the flavor's API.
  int searches = 0;
  for (const auto& r : jira.server.requests()) {
    EXPECT_EQ(r.header("accept-language"), "en") << r.target;
    EXPECT_EQ(r.target.rfind(flavor == Flavor::cloud ? "/rest/api/3/" : "/rest/api/2/", 0), 0u) << r.target;
    if (r.target.find("/search") != std::string::npos) ++searches;
  }
  EXPECT_EQ(searches, 3);
}

TEST_P(JiraAction, ARetryResumesWithoutRepeatingFinishedSteps) {
  const Flavor flavor = GetParam();
  FakeJira jira(flavor);
  jira.add_issue("IOS-1", "In Progress");
  jira.add_issue("IOS-2", "In Progress");
  jira.add_query("project = IOS AND labels = \"asc-ver-9\"", {"IOS-1", "IOS-2"});
  jira.add_version("IOS", {"10002", "2.3.0", true, "2026-01-01"});  // already released: success
  TestServer server(basic_config("", connection(jira, flavor) + kRule));
  // Requests: 1 search, 2 IOS-1 transitions, 3 transition, 4 comment,
  // 5 IOS-2 transitions, 6 transition → 409 (a conflicting update): retried.
  jira.fail_request(6, {409, {{"Content-Type", "application/json"}},
                        R"({"errorMessages":["The issue could not be updated due to a conflicting update."],"errors":{}})", {}});
  auto body = fixture_event("events/appStoreVersionAppVersionStateUpdated.json", "jira-2", "ver-9", "READY_FOR_DISTRIBUTION");
  ASSERT_EQ(post_signed(server.port(), "app", body, "s3cret").status, 200);
  auto ev = wait_event(server.store(), "jira-2", settled);
  ASSERT_TRUE(ev);
  const auto& job = ev->jobs.at(0);
  ASSERT_EQ(job.state, "done") << job.last_error;
  ASSERT_EQ(job.attempt_log.size(), 2u);
  EXPECT_EQ(job.attempt_log[0].http_status, 409);
  EXPECT_EQ(job.attempt_log[0].outcome, "retry");
  EXPECT_EQ(jira.transitions_posted(), 2);
  EXPECT_EQ(jira.comments("IOS-1").size(), 1u);  // not commented twice by the retry
  EXPECT_EQ(jira.comments("IOS-2").size(), 1u);
  EXPECT_EQ(jira.status("IOS-2"), "Done");
  EXPECT_NE(job.attempt_log[1].detail.find("version 2.3.0 already released"), std::string::npos) << job.attempt_log[1].detail;
}

TEST_P(JiraAction, TransitionByIdAndAnUnknownVersionIsFinal) {
  const Flavor flavor = GetParam();
  FakeJira jira(flavor);
  jira.add_issue("IOS-7", "Ready for Release");
  jira.add_query("project = IOS", {"IOS-7"});
  TestServer server(basic_config("", connection(jira, flavor) + R"(rules:
  - name: by-id
    when: { event: webhookPingCreated }
    actions:
      - jira: { jql: "project = IOS", transition: "31" }
      - jira: { jql: "project = IOS", release_version: { project: IOS, name: "9.9.9" } }
)"));
  ASSERT_EQ(post_signed(server.port(), "app", fixture_event("events/webhookPingCreated.json", "jira-id"), "s3cret").status, 200);
  auto ev = wait_event(server.store(), "jira-id", settled);
  ASSERT_TRUE(ev);
  ASSERT_EQ(ev->jobs.size(), 2u);
  EXPECT_EQ(ev->jobs[0].state, "done") << ev->jobs[0].last_error;
  EXPECT_EQ(jira.status("IOS-7"), "Done");
  EXPECT_EQ(ev->jobs[1].state, "dead");
  EXPECT_NE(ev->jobs[1].last_error.find("Jira project IOS has no version named \"9.9.9\""), std::string::npos) << ev->jobs[1].last_error;
}

TEST(JiraOddAnswers, AnAnswerShapedUnlikeJirasIsAFinalErrorNotAStuckJob) {
  // A proxy or an old server answers the search with a status that is a
  // string: the job is recorded dead with the reason, not left leased.
  FakeHttpServer odd([](const FakeRequest&) {
    return FakeResponse{200, {{"Content-Type", "application/json"}}, R"({"issues":[{"key":"IOS-1","fields":{"status":"Done"}}],"isLast":true})", {}};
  });
  TestServer server(basic_config("", "connections:\n  jira:\n    default:\n      base_url: " + odd.url("") +
                                         "\n      bearer_token: pat-1234\nrules:\n  - name: r\n    when: { event: webhookPingCreated }\n"
                                         "    actions:\n      - jira: { jql: \"project = IOS\", transition: Done }\n"));
  ASSERT_EQ(post_signed(server.port(), "app", fixture_event("events/webhookPingCreated.json", "odd-1"), "s3cret").status, 200);
  auto ev = wait_event(server.store(), "odd-1", settled);
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->jobs.at(0).state, "dead");
  EXPECT_NE(ev->jobs.at(0).last_error.find("internal error while running the action"), std::string::npos) << ev->jobs.at(0).last_error;
}

INSTANTIATE_TEST_SUITE_P(CloudAndDataCenter, JiraAction, ::testing::Values(Flavor::cloud, Flavor::datacenter),
                         [](const auto& p) { return p.param == Flavor::cloud ? "Cloud" : "DataCenter"; });

}  // namespace
}  // namespace asc_webhookd::test
