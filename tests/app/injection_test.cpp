// Outside text must stay data on the way out. The attack found by hostile
// testing: a signed event whose data.type holds CR/LF, rendered into an http
// action's header, made the sink read a second, smuggled request, and every
// later job on that pooled connection read the previous answer. Through the
// real binary: the hostile job is dead with a reason and sends nothing, and
// the events around it are delivered normally on the same connection.
#include "asc_webhookd/ingest/signature.hpp"

#include "support/daemon.hpp"
#include "support/fake_http.hpp"
#include "support/pipeline.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <thread>

namespace asc_webhookd::test {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

const std::map<std::string, std::string> kEnv{{"HOOK_SECRET", "inject-secret"}};

std::string event(const std::string& id, const std::string& type, const std::string& comment = "fine") {
  return json{{"data",
               {{"type", type},
                {"id", id},
                {"version", 1},
                {"attributes", {{"comment", comment}}},
                {"relationships", {{"instance", {{"data", {{"type", "betaFeedbackCrashSubmissions"}, {"id", "fb-1"}}}}}}}}}}
      .dump();
}

std::string config(const TempDir& dir, const std::string& actions) {
  return "server:\n  listen: 127.0.0.1:0\nstore:\n  path: " + dir.file("state.db") +
         "\ndelivery:\n  concurrency: 1\n  initial_backoff: 100ms\n  max_backoff: 500ms\n"
         "webhooks:\n  - name: ios-app\n    secret: ${env:HOOK_SECRET}\n"
         "rules:\n  - name: forward\n    actions:\n" + actions;
}

int post(std::uint16_t port, const std::string& body) { return post_signed(port, "ios-app", body, "inject-secret").status; }

json show(const std::string& cfg, const std::string& id) {
  auto shown = run_binary({"event", "show", id, "--config", cfg}, kEnv);
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  return json::parse(shown.out, nullptr, false);
}

TEST(Injection, HeaderSmugglingIsRefusedAndTheConnectionStaysClean) {
  TempDir dir;
  FakeHttpServer fake;
  auto cfg = dir.write("c.yaml", config(dir, "      - http:\n          url: \"" + fake.url("/hook") +
                                                 "\"\n          headers: { X-Event: \"{{event.type}}\" }\n"));
  Daemon d({"--config", cfg}, kEnv);
  auto port = d.wait_listening();
  ASSERT_NE(port, 0) << d.log();

  ASSERT_EQ(post(port, event("before", "betaFeedbackCrashSubmissionCreated")), 200);
  ASSERT_TRUE(fake.wait_for(1));
  const std::string hostile = "x\r\nContent-Length: 0\r\n\r\nPOST /smuggled HTTP/1.1\r\nHost: s\r\nX-Pad:";
  ASSERT_EQ(post(port, event("evil", hostile)), 200);  // stored: the event itself is fine, its header is not
  ASSERT_EQ(post(port, event("after", "betaFeedbackCrashSubmissionCreated")), 200);
  ASSERT_TRUE(fake.wait_for(2));
  ASSERT_TRUE(d.wait_log("outcome=dead"));
  std::this_thread::sleep_for(300ms);  // anything smuggled would have arrived by now

  auto requests = fake.requests();
  ASSERT_EQ(requests.size(), 2u);
  for (const auto& r : requests) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/hook");
    EXPECT_EQ(r.header("x-event"), "betaFeedbackCrashSubmissionCreated");
    EXPECT_EQ(r.connection, 1u) << "the pooled connection was replaced";
  }
  EXPECT_EQ(json::parse(requests[0].body)["data"]["id"], "before");
  EXPECT_EQ(json::parse(requests[1].body)["data"]["id"], "after");

  auto evil = show(cfg, "evil");
  EXPECT_EQ(evil["state"], "dead");
  const auto& job = evil["jobs"][0];
  EXPECT_EQ(job["attempts"], 1) << "a permanent failure is not retried";
  EXPECT_NE(job["last_error"].get<std::string>().find(
                "header X-Event: value contains a control character (CR) at byte 1; the request was not sent"),
            std::string::npos)
      << job.dump();
  EXPECT_EQ(show(cfg, "after")["state"], "done");
}

TEST(Injection, UrlValuesArePercentEncodedAndJsonBodiesEscaped) {
  TempDir dir;
  FakeHttpServer fake;
  auto cfg = dir.write(
      "c.yaml",
      config(dir, "      - http:\n          url: \"" + fake.url("/feedback/{{event.id}}") + "?type={{event.type}}\"\n"
                  "          body: '{\"text\": \"{{event.raw}}\"}'\n          body_escape: json\n"
                  "          headers: { Content-Type: application/json }\n"));
  Daemon d({"--config", cfg}, kEnv);
  auto port = d.wait_listening();
  ASSERT_NE(port, 0) << d.log();
  const std::string body = event("../admin?x=1", "betaFeedbackCrashSubmissionCreated", "He said \"ship it\"\n");
  ASSERT_EQ(post(port, body), 200);
  ASSERT_TRUE(fake.wait_for(1));
  auto r = fake.requests().at(0);
  EXPECT_EQ(r.target, "/feedback/..%2Fadmin%3Fx%3D1?type=betaFeedbackCrashSubmissionCreated");
  auto sent = json::parse(r.body, nullptr, false);
  ASSERT_FALSE(sent.is_discarded()) << r.body;
  EXPECT_EQ(sent["text"], body);  // the whole raw event, quotes and all, as one JSON string
}

TEST(Injection, CheckConfigRefusesATemplatedHost) {
  TempDir dir;
  auto cfg = dir.write("c.yaml", config(dir, "      - http: { url: \"https://{{event.type}}.example.com/x\" }\n"));
  auto r = run_binary({"check-config", "--config", cfg}, kEnv);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("write the scheme and host out"), std::string::npos) << r.err;
  auto bad_escape = dir.write("d.yaml", config(dir, "      - http: { url: \"https://h.example.com/\", body_escape: json }\n"));
  auto r2 = run_binary({"check-config", "--config", bad_escape}, kEnv);
  EXPECT_EQ(r2.exit_code, 1);
  EXPECT_NE(r2.err.find("body_escape applies to a templated body"), std::string::npos) << r2.err;
}

}  // namespace
}  // namespace asc_webhookd::test
