// The whole pipeline in-process: signed POST → store → delivery worker →
// a fake endpoint on 127.0.0.1, over real sockets and a real SQLite file.
#include "asc_webhookd/ingest/signature.hpp"

#include "support/fake_http.hpp"
#include "support/pipeline.hpp"
#include "support/faulty_vfs.hpp"
#include "support/log_capture.hpp"
#include "support/raw_client.hpp"
#include "support/store_calls.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <atomic>
#include <thread>

namespace asc_webhookd::test {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

std::string config_for(const FakeHttpServer& fake, const std::string& extra_action = "",
                       const std::string& delivery = "  initial_backoff: 100ms\n  max_backoff: 1s\n") {
  return basic_config("", "delivery:\n" + delivery +
                              "connections:\n  http:\n    sink:\n      url: " + fake.url("/hook") +
                              "\n      headers: { X-Api-Key: \"key-that-must-stay-secret\" }\n"
                              "rules:\n  - name: forward\n    when: { event: buildUploadStateUpdated }\n    actions:\n"
                              "      - http:\n          connection: sink\n          headers: { X-Event: \"{{event.type}}/{{event.new_state}}\" }\n" +
                              extra_action);
}

RawResponse post(std::uint16_t port, const std::string& body, const std::string& secret = "s3cret") {
  return post_signed(port, "app", body, secret);
}

TEST(Delivery, AnsweredOnlyAfterTheCommitThenDelivered) {
  FakeHttpServer fake;
  TestServer server(config_for(fake));
  auto r = post(server.port(), upload_event("e-1"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body), json({{"status", "accepted"}, {"id", "e-1"}, {"jobs", 1}}));
  // Another connection to the file sees the event and its job the moment 200 arrives.
  sqlite3* db = nullptr;
  sqlite3_open_v2(server.store_path().c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, "SELECT count(*) FROM events e JOIN jobs j ON j.event_seq = e.seq WHERE e.event_id = 'e-1'", -1, &s, nullptr);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(s, 0), 1);
  sqlite3_finalize(s);
  sqlite3_close(db);

  ASSERT_TRUE(fake.wait_for(1));
  auto req = fake.requests().at(0);
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/hook");
  EXPECT_EQ(req.body, upload_event("e-1"));  // the raw event, as received
  EXPECT_EQ(req.header("x-event"), "buildUploadStateUpdated/COMPLETE");
  EXPECT_EQ(req.header("x-api-key"), "key-that-must-stay-secret");
  EXPECT_EQ(req.header("content-type"), "application/json");
  auto ev = wait_event(server.store(), "e-1", [](const auto& e) { return e.state == "done"; });
  ASSERT_TRUE(ev);
  ASSERT_EQ(ev->jobs.size(), 1u);
  EXPECT_EQ(ev->jobs[0].attempt_log.at(0).http_status, 200);
  // No secret reaches the store: the job keeps the connection by name.
  EXPECT_EQ(ev->jobs[0].action_json.find("key-that-must-stay-secret"), std::string::npos);
  EXPECT_NE(ev->jobs[0].action_json.find("\"connection\":\"sink\""), std::string::npos);
}

TEST(Delivery, DuplicateIsAnsweredAndPlannedOnce) {
  FakeHttpServer fake;
  TestServer server(config_for(fake));
  EXPECT_EQ(json::parse(post(server.port(), upload_event("dup")).body)["status"], "accepted");
  auto again = post(server.port(), upload_event("dup"));
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(json::parse(again.body), json({{"status", "duplicate"}, {"id", "dup"}}));
  ASSERT_TRUE(wait_event(server.store(), "dup", [](const auto& e) { return e.state == "done"; }));
  EXPECT_EQ(server.store().count_jobs("done").value(), 1u);
  EXPECT_EQ(fake.count(), 1u);
}

TEST(Delivery, StoreFailureIs503AndNothingIsKept) {
  register_faulty_vfs();
  FakeHttpServer fake;
  TestServer server(config_for(fake), {.threads = 2, .vfs = "faulty", .clock = nullptr});
  set_fail_writes(true);
  auto r = post(server.port(), upload_event("lost-1"));
  RawClient c(server.port());
  c.send(make_request("GET", "/readyz"));
  auto ready = c.read_response();
  set_fail_writes(false);
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(json::parse(r.body)["error"].get<std::string>().find("could not be stored"), std::string::npos);
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  EXPECT_NE(ready->body.find("store is not writable"), std::string::npos);
  EXPECT_FALSE(test::event_named(server.store(), "lost-1").value());
  // Apple redelivers; now it sticks.
  EXPECT_EQ(post(server.port(), upload_event("lost-1")).status, 200);
  EXPECT_TRUE(fake.wait_for(1));
}

// Hostile trial 2, D2: the store fails the attempt's record (a full disk)
// right after the sink answered, then recovers. The record used to be
// dropped: the job stayed `running`, its attempt missing from `event show`,
// and it was sent again once its lease ran out. Now the record is written
// again from memory: the sink sees the attempt once, the store has it.
TEST(Delivery, AFailedRecordIsWrittenAgainNotSentAgain) {
  register_faulty_vfs();
  LogCapture logs;
  std::atomic<bool> failed_once{false};
  FakeHttpServer fake([&](const FakeRequest&) {
    if (!failed_once.exchange(true)) set_fail_writes(true);  // the disk fills while the sink answers
    return FakeResponse{200, {}, "ok"};
  });
  TestServer server(config_for(fake), {.threads = 2, .vfs = "faulty", .clock = nullptr});
  ASSERT_EQ(post(server.port(), upload_event("d2-1")).status, 200);
  ASSERT_TRUE(fake.wait_for(1));
  // Several record tries fail (100 ms, 200 ms, 400 ms ... apart), then the disk has room again.
  for (int i = 0; i < 200 && logs.text().find("recording the attempt failed") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  set_fail_writes(false);
  auto ev = wait_event(server.store(), "d2-1", [](const auto& e) { return e.state == "done"; });
  ASSERT_TRUE(ev) << logs.text();
  ASSERT_EQ(ev->jobs.size(), 1u);
  ASSERT_EQ(ev->jobs[0].attempt_log.size(), 1u);
  EXPECT_EQ(ev->jobs[0].attempt_log[0].http_status, 200);
  EXPECT_EQ(ev->jobs[0].attempts, 1);
  // The job is free again: a later event of the same upload is delivered after it, and once.
  ASSERT_EQ(post(server.port(), upload_event("d2-2")).status, 200);
  ASSERT_TRUE(fake.wait_for(2));
  ASSERT_TRUE(wait_event(server.store(), "d2-2", [](const auto& e) { return e.state == "done"; }));
  EXPECT_EQ(fake.count(), 2u);
  const std::string text = logs.text();
  EXPECT_NE(text.find("recording the attempt failed job=1"), std::string::npos) << text;
  EXPECT_NE(text.find("attempt recorded job=1 tries="), std::string::npos) << text;
}

TEST(Delivery, ServerErrorsAreRetriedUntilDelivered) {
  FakeHttpServer fake;
  fake.push({503, {}, "busy"});
  fake.push({503, {}, "busy"});
  TestServer server(config_for(fake));
  ASSERT_EQ(post(server.port(), upload_event("r-1")).status, 200);
  auto ev = wait_event(server.store(), "r-1", [](const auto& e) { return e.state == "done"; });
  ASSERT_TRUE(ev);
  const auto& log = ev->jobs.at(0).attempt_log;
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].http_status, 503);
  EXPECT_EQ(log[0].outcome, "retry");
  EXPECT_NE(log[0].error.find("HTTP 503"), std::string::npos);
  EXPECT_EQ(log[1].http_status, 503);
  EXPECT_EQ(log[2].http_status, 200);
  EXPECT_EQ(log[2].outcome, "done");
  EXPECT_EQ(fake.count(), 3u);
}

TEST(Delivery, RetryAfterIsHonoured) {
  ManualClock clock;
  FakeHttpServer fake;
  fake.push({429, {{"Retry-After", "2"}}, R"({"error":"rate limited"})"});
  TestServer server(config_for(fake), {.threads = 2, .vfs = "", .clock = &clock});
  ASSERT_EQ(post(server.port(), upload_event("ra-1")).status, 200);
  // After the 429, the job is scheduled no earlier than Retry-After says
  // (our own backoff here would be ~100 ms).
  auto waiting = wait_event(server.store(), "ra-1", [](const auto& e) { return e.jobs.at(0).attempts == 1; });
  ASSERT_TRUE(waiting);
  const auto& job = waiting->jobs.at(0);
  EXPECT_EQ(job.state, "pending");
  EXPECT_GE(job.next_at_ms - job.attempt_log.at(0).started_at_ms, 2000);
  EXPECT_EQ(fake.count(), 1u);
  clock.advance(2s);  // the time Retry-After asked for has passed
  auto done = wait_event(server.store(), "ra-1", [](const auto& e) { return e.state == "done"; });
  ASSERT_TRUE(done);
  EXPECT_EQ(done->jobs.at(0).attempt_log.size(), 2u);
}

TEST(Delivery, ClientErrorIsFinalThenRequeuedByRetry) {
  FakeHttpServer fake;
  fake.push({404, {}, "no such hook"});
  TestServer server(config_for(fake));
  ASSERT_EQ(post(server.port(), upload_event("d-1")).status, 200);
  auto dead = wait_event(server.store(), "d-1", [](const auto& e) { return e.state == "dead"; });
  ASSERT_TRUE(dead);
  EXPECT_EQ(dead->jobs.at(0).attempt_log.size(), 1u);
  EXPECT_NE(dead->jobs.at(0).last_error.find("HTTP 404: no such hook"), std::string::npos);
  auto listed = test::events_in(server.store(), "dead", 10).value();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].event_id, "d-1");
  EXPECT_EQ(server.store().retry_job_now(dead->jobs.at(0).id, SystemClock().now_ms()).value(), store::RetryOutcome::requeued);
  auto done = wait_event(server.store(), "d-1", [](const auto& e) { return e.state == "done"; });
  ASSERT_TRUE(done);
  EXPECT_EQ(fake.count(), 2u);
}

TEST(Delivery, SameInstanceIsDeliveredInOrder) {
  // o-1's first try fails (not whichever request comes first: o-3, of
  // another instance, may be delivered before it).
  std::atomic<bool> failed_once{false};
  FakeHttpServer fake([&](const FakeRequest& r) {
    if (r.body.find("\"o-1\"") != std::string::npos && !failed_once.exchange(true))
      return FakeResponse{503, {}, "first try fails"};
    return FakeResponse{200, {}, "ok"};
  });
  TestServer server(config_for(fake));
  ASSERT_EQ(post(server.port(), upload_event("o-1", "same", "PROCESSING")).status, 200);
  ASSERT_EQ(post(server.port(), upload_event("o-2", "same", "COMPLETE")).status, 200);
  ASSERT_EQ(post(server.port(), upload_event("o-3", "other", "COMPLETE")).status, 200);
  ASSERT_TRUE(fake.wait_for(4));
  std::vector<std::string> same;
  for (const auto& r : fake.requests())
    if (r.body.find("\"same\"") != std::string::npos) same.push_back(json::parse(r.body)["data"]["id"]);
  EXPECT_EQ(same, (std::vector<std::string>{"o-1", "o-1", "o-2"}));
}

TEST(Delivery, BackoffIsScheduledOnTheManualClock) {
  ManualClock clock;
  const std::int64_t t0 = clock.now_ms();
  FakeHttpServer fake;
  fake.push({500, {}, "oops"});
  TestServer server(config_for(fake, "", "  initial_backoff: 5s\n  max_backoff: 1m\n"), {.threads = 2, .vfs = "", .clock = &clock});
  ASSERT_EQ(post(server.port(), upload_event("m-1")).status, 200);
  auto waiting = wait_event(server.store(), "m-1", [](const auto& e) { return e.jobs.at(0).attempts == 1; });
  ASSERT_TRUE(waiting);
  const auto& job = waiting->jobs.at(0);
  EXPECT_EQ(job.attempt_log.at(0).started_at_ms, t0);  // time stood still
  EXPECT_GE(job.next_at_ms, t0 + 4000);               // 5 s − 20 %
  EXPECT_LE(job.next_at_ms, t0 + 6000);               // 5 s + 20 %
  EXPECT_EQ(fake.count(), 1u);
  clock.advance(6s);  // the worker sees it due at its next wake-up
  auto done = wait_event(server.store(), "m-1", [](const auto& e) { return e.state == "done"; });
  ASSERT_TRUE(done);
  EXPECT_EQ(done->jobs.at(0).attempt_log.at(1).started_at_ms, t0 + 6000);
}

TEST(Delivery, SecretsStayOutOfTheLog) {
  LogCapture cap(spdlog::level::trace);
  {
    FakeHttpServer fake;
    fake.push({500, {}, "oops"});
    TestServer server(config_for(fake));
    ASSERT_EQ(post(server.port(), upload_event("s-1")).status, 200);
    ASSERT_TRUE(wait_event(server.store(), "s-1", [](const auto& e) { return e.state == "done"; }));
  }
  auto text = cap.text();
  EXPECT_NE(text.find("attempt job="), std::string::npos) << text;
  EXPECT_NE(text.find("outcome=retry"), std::string::npos) << text;
  EXPECT_EQ(text.find("key-that-must-stay-secret"), std::string::npos) << text;
  EXPECT_EQ(text.find("s3cret"), std::string::npos) << text;
}

}  // namespace
}  // namespace asc_webhookd::test
