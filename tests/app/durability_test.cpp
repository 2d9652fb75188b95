// The real daemon process with its real store file: crash safety (kill -9)
// and the operator commands that read and change the store while it runs.
#include "asc_webhookd/ingest/signature.hpp"

#include "support/daemon.hpp"
#include "support/fake_http.hpp"
#include "support/pipeline.hpp"
#include "support/raw_client.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <sqlite3.h>

#include <atomic>
#include <mutex>
#include <set>
#include <map>
#include <thread>

namespace asc_webhookd::test {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

std::string upload_event(int i) {
  // A distinct instance per event: they may be delivered in parallel.
  return R"({"data":{"type":"buildUploadStateUpdated","id":"crash-)" + std::to_string(i) +
         R"(","version":1,"attributes":{"oldState":"PROCESSING","newState":"COMPLETE"},"relationships":{"instance":{"data":{"type":"buildUploads","id":"u-)" +
         std::to_string(i) + R"("}}}}})";
}

std::string daemon_config(const TempDir& dir, const FakeHttpServer& fake, int concurrency) {
  return "server:\n  listen: 127.0.0.1:0\nstore:\n  path: " + dir.file("state.db") +
         "\ndelivery:\n  concurrency: " + std::to_string(concurrency) +
         "\n  initial_backoff: 100ms\n  max_backoff: 500ms\nwebhooks:\n  - name: ios-app\n    secret: ${env:HOOK_SECRET}\n"
         "rules:\n  - name: forward\n    actions:\n      - http: { url: \"" + fake.url("/hook") + "\" }\n";
}

int post(std::uint16_t port, const std::string& body) { return post_signed(port, "ios-app", body, "crash-secret").status; }

const std::map<std::string, std::string> kEnv{{"HOOK_SECRET", "crash-secret"}};

TEST(Durability, KillNineLosesNothingAndRepeatsAtMostTheRequestInFlight) {
  TempDir dir;
  // Slow answers until the kill, so that some jobs are queued behind the one
  // in flight; the restarted daemon is answered at once.
  std::atomic<bool> killed{false};
  FakeHttpServer fake([&](const FakeRequest&) { return FakeResponse{200, {}, "ok", killed ? 0ms : 150ms}; });
  auto cfg = dir.write("c.yaml", daemon_config(dir, fake, 1));
  constexpr int kEvents = 20;
  {
    Daemon d({"--config", cfg}, kEnv);
    auto port = d.wait_listening();
    ASSERT_NE(port, 0) << d.log();
    for (int i = 0; i < kEvents; ++i) ASSERT_EQ(post(port, upload_event(i)), 200);
    ASSERT_TRUE(fake.wait_for(3));  // some delivered, one in flight, the rest queued
    d.signal(SIGKILL);
    killed = true;
    auto code = d.wait_exit();
    ASSERT_TRUE(code);
    EXPECT_EQ(*code, -SIGKILL);
  }
  const auto before_restart = fake.count();
  EXPECT_LT(before_restart, static_cast<std::size_t>(kEvents)) << "everything was delivered before the kill";
  Daemon again({"--config", cfg}, kEnv);
  ASSERT_NE(again.wait_listening(), 0) << again.log();
  std::map<std::string, int> seen;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    seen.clear();
    for (const auto& r : fake.requests()) ++seen[json::parse(r.body)["data"]["id"].get<std::string>()];
    if (seen.size() == kEvents) break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kEvents)) << "an acknowledged event was lost";
  int repeated = 0;
  for (const auto& [id, n] : seen) {
    EXPECT_LE(n, 2) << id;
    repeated += n > 1;
  }
  EXPECT_LE(repeated, 1) << "more than the one request in flight at the kill was sent twice";
  // The last answer may still be on its way to the store: poll, bounded.
  CommandResult pending;
  for (int i = 0; i < 100; ++i) {
    pending = run_binary({"events", "--state", "pending", "--config", cfg}, kEnv);
    if (pending.out.find("crash-") == std::string::npos) break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(pending.exit_code, 0) << pending.err;
  EXPECT_EQ(pending.out.find("crash-"), std::string::npos) << pending.out;
  auto done = run_binary({"events", "--state", "done", "--limit", "100", "--config", cfg}, kEnv);
  std::size_t lines = 0;
  for (char c : done.out) lines += c == '\n';
  EXPECT_EQ(lines, static_cast<std::size_t>(kEvents) + 1) << done.out;
  EXPECT_NE(again.log().find("resuming jobs left running"), std::string::npos) << again.log();
}

// Killed mid-commit, again and again, while four clients post: every event
// answered 200 is stored with its jobs, and every stored event (answered or
// cut off) has each of its rules' jobs exactly once -- never none, never twice.
TEST(Durability, KillNineMidBatchPlansEveryAcknowledgedEventExactlyOnce) {
  TempDir dir;
  const auto cfg = dir.write(
      "c.yaml", "server:\n  listen: 127.0.0.1:0\nstore:\n  path: " + dir.file("state.db") +
                    "\ndelivery:\n  initial_backoff: 1h\n  max_backoff: 2h\nwebhooks:\n  - name: ios-app\n"
                    "    secret: ${env:HOOK_SECRET}\nrules:\n  - name: first\n    actions:\n"
                    "      - http: { url: \"http://127.0.0.1:1/a\" }\n      - http: { url: \"http://127.0.0.1:1/b\" }\n"
                    "  - name: second\n    actions:\n      - http: { url: \"http://127.0.0.1:1/c\" }\n");
  std::mutex mutex;
  std::set<std::string> acked;
  int next = 0;
  for (int round = 0; round < 3; ++round) {
    Daemon d({"--config", cfg}, kEnv);
    const auto port = d.wait_listening();
    ASSERT_NE(port, 0) << d.log();
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int c = 0; c < 4; ++c)
      clients.emplace_back([&] {
        while (!stop) {
          int i;
          {
            std::lock_guard l(mutex);
            i = next++;
          }
          // Cut off by the kill (no answer within 2 s): maybe stored, never acknowledged.
          const std::string body = upload_event(i);
          RawClient client(port);
          client.send(make_request("POST", "/webhooks/ios-app", body, {{"x-apple-signature", ingest::sign("crash-secret", body)}}));
          auto answer = client.read_response(2s);
          if (!answer || answer->status != 200) continue;
          std::lock_guard l(mutex);
          acked.insert("crash-" + std::to_string(i));
        }
      });
    // Kill while commits are in flight: after some acks, at a moment that varies by round.
    const std::size_t target = acked.size() + 150 + 70 * round;
    for (int i = 0; i < 400; ++i) {
      {
        std::lock_guard l(mutex);
        if (acked.size() >= target) break;
      }
      std::this_thread::sleep_for(5ms);
    }
    d.signal(SIGKILL);
    ASSERT_TRUE(d.wait_exit());
    stop = true;
    for (auto& t : clients) t.join();
  }
  // Enough acknowledged events that the kills landed among batches (the
  // release build acks thousands; ASan on a loaded 2-core machine once 295).
  ASSERT_GT(acked.size(), 200u);
  // One read of every event with its jobs (sqlite3 directly: the store's
  // own calls commit per call).
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(dir.file("state.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "SELECT e.event_id, coalesce(j.rule || '#' || j.action_index, '') FROM events e"
                               " LEFT JOIN jobs j ON j.event_seq = e.seq ORDER BY e.seq",
                               -1, &q, nullptr),
            SQLITE_OK);
  std::map<std::string, std::multiset<std::string>> stored;
  while (sqlite3_step(q) == SQLITE_ROW)
    stored[reinterpret_cast<const char*>(sqlite3_column_text(q, 0))].insert(reinterpret_cast<const char*>(sqlite3_column_text(q, 1)));
  sqlite3_finalize(q);
  sqlite3_close(db);
  for (const auto& [id, jobs] : stored)  // (webhook, event_id) is unique: an id cannot be stored twice
    EXPECT_EQ(jobs, (std::multiset<std::string>{"first#0", "first#1", "second#0"})) << id;
  for (const auto& id : acked) EXPECT_TRUE(stored.count(id)) << "acknowledged, then lost: " << id;
}

TEST(Durability, DeadJobIsListedShownAndRequeuedFromTheCommandLine) {
  TempDir dir;
  std::atomic<bool> healthy{false};
  FakeHttpServer fake([&](const FakeRequest&) {
    return healthy ? FakeResponse{200, {}, "ok"} : FakeResponse{404, {}, "no such hook"};
  });
  auto cfg = dir.write("c.yaml", daemon_config(dir, fake, 2));
  Daemon d({"--config", cfg}, kEnv);
  auto port = d.wait_listening();
  ASSERT_NE(port, 0) << d.log();
  ASSERT_EQ(post(port, upload_event(7)), 200);
  ASSERT_TRUE(fake.wait_for(1));
  ASSERT_TRUE(d.wait_log("outcome=dead"));

  auto dead = run_binary({"events", "--state", "dead", "--config", cfg}, kEnv);
  EXPECT_EQ(dead.exit_code, 0) << dead.err;
  EXPECT_NE(dead.out.find("\tdead\tios-app\tbuildUploadStateUpdated\tPROCESSING->COMPLETE\tcrash-7"), std::string::npos)
      << dead.out;
  auto shown = run_binary({"event", "show", "crash-7", "--config", cfg}, kEnv);
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  auto j = json::parse(shown.out);
  EXPECT_EQ(j["state"], "dead");
  EXPECT_EQ(j["payload"]["data"]["id"], "crash-7");
  EXPECT_EQ(j["jobs"][0]["rule"], "forward");
  EXPECT_EQ(j["jobs"][0]["attempt_log"][0]["status"], 404);
  EXPECT_NE(j["jobs"][0]["last_error"].get<std::string>().find("no such hook"), std::string::npos);

  healthy = true;
  // An event's id is not a job id: refused, naming the command that takes it.
  auto wrong_kind = run_binary({"job", "retry", "crash-7", "--config", cfg}, kEnv);
  EXPECT_EQ(wrong_kind.exit_code, 2);
  EXPECT_NE(wrong_kind.err.find("asc-webhookd event retry crash-7"), std::string::npos) << wrong_kind.err;
  auto retried = run_binary({"event", "retry", "crash-7", "--config", cfg}, kEnv);
  EXPECT_EQ(retried.exit_code, 0) << retried.err;
  EXPECT_EQ(retried.out, "requeued 1 job\n");
  ASSERT_TRUE(fake.wait_for(2));
  ASSERT_TRUE(d.wait_log("outcome=done"));
  auto nothing = run_binary({"event", "retry", "crash-7", "--config", cfg}, kEnv);
  EXPECT_EQ(nothing.exit_code, 1);
  const auto job_id = std::to_string(j["jobs"][0]["id"].get<std::int64_t>());
  auto no_dead_job = run_binary({"job", "retry", job_id, "--config", cfg}, kEnv);
  EXPECT_EQ(no_dead_job.exit_code, 1);
  EXPECT_NE(no_dead_job.err.find("job " + job_id + " is done"), std::string::npos) << no_dead_job.err;  // not "no dead job": it names what is so
  auto missing = run_binary({"event", "show", "no-such-event", "--config", cfg}, kEnv);
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(run_binary({"events", "--state", "weird", "--config", cfg}, kEnv).exit_code, 2);
}

}  // namespace
}  // namespace asc_webhookd::test
