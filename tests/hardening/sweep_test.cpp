// Failure sweeps: every point where a connection can break, tried in turn
// (the fault-injecting stream here is the socket itself, cut after each
// byte). The server, given each prefix of a signed request then EOF,
// answers or closes (never hangs, never stores a cut event) and stores the
// whole one exactly once; the HTTP client, given each prefix of an answer
// then EOF, returns that answer whole or an error naming the failure.
#include "asc_webhookd/outbound/client.hpp"
#include "asc_webhookd/ingest/signature.hpp"
#include "asc_webhookd/store/sqlite_store.hpp"

#include "support/daemon.hpp"
#include "support/raw_client.hpp"
#include "support/store_calls.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

namespace asc_webhookd::test {
namespace {

const char* kSecret = "sweep-secret";

TEST(FailureSweep, EveryCutOfASignedRequestIsAnsweredOrClosedAndOnlyTheWholeOneIsStoredOnce) {
  TempDir dir;
  Daemon d({"--config", dir.write("c.yaml", "server:\n  listen: 127.0.0.1:0\n  header_timeout: 2s\n  body_timeout: 2s\nstore:\n  path: " +
                                                dir.file("state.db") + "\nwebhooks: [{name: app, secret: " + kSecret + "}]\nrules: []\n")});
  const auto port = d.wait_listening();
  ASSERT_NE(port, 0) << d.log();
  const std::string body = R"({"data":{"type":"webhookPingCreated","id":"sweep-1","version":1,"attributes":{"timestamp":"2026-06-09T10:09:30Z"}}})";
  const std::string request = make_request("POST", "/webhooks/app", body, {{"x-apple-signature", ingest::sign(kSecret, body)}}, false);
  for (std::size_t cut = 0; cut < request.size(); ++cut) {
    RawClient c(port);
    ASSERT_TRUE(c.send(request.substr(0, cut)));
    ::shutdown(c.fd(), SHUT_WR);
    auto r = c.read_response(std::chrono::seconds(5));
    if (r) {
      EXPECT_EQ(r->status / 100, 4) << "cut at " << cut << ": " << r->body;  // a clear refusal, never 200 nor 5xx
    } else {
      EXPECT_TRUE(c.wait_closed(std::chrono::seconds(5))) << "cut at " << cut << ": neither answered nor closed";
    }
  }
  for (const char* expected : {"\"accepted\"", "\"duplicate\""}) {
    RawClient c(port);
    ASSERT_TRUE(c.send(request));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_NE(r->body.find(expected), std::string::npos) << r->body;
  }
  auto st = store::SqliteStore::open({dir.file("state.db"), ""});
  ASSERT_TRUE(st);
  auto events = test::events_in(**st, "", 100);
  ASSERT_TRUE(events);
  EXPECT_EQ(events->size(), 1u);
}

TEST(FailureSweep, EveryCutOfAnAnswerGivesTheClientTheWholeAnswerOrAnError) {
  const std::string body = "{\"ok\":true,\"ts\":\"17.0001\"}\n";
  const std::string answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n" + body;
  std::uint16_t port = 0;
  const int listener = listen_loopback(port);
  std::atomic<std::size_t> cut{0};
  std::atomic<bool> done{false};
  std::thread server([&] {
    while (!done) {
      const int fd = ::accept(listener, nullptr, nullptr);
      if (fd < 0) break;
      char buf[4096];
      std::string got;
      while (got.find("\r\n\r\n") == std::string::npos) {  // the request head (no body)
        const auto n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        got.append(buf, static_cast<std::size_t>(n));
      }
      ::send(fd, answer.data(), cut.load(), MSG_NOSIGNAL);
      ::close(fd);
    }
  });
  for (std::size_t k = 0; k <= answer.size(); ++k) {
    cut = k;
    outbound::ClientRequest req;
    req.url = "http://127.0.0.1:" + std::to_string(port) + "/x";
    req.timeout = std::chrono::seconds(5);
    auto res = outbound::fetch_blocking(req);
    if (k == answer.size()) {
      ASSERT_TRUE(res) << res.error().message;
      EXPECT_EQ(res->status, 200u);
      EXPECT_EQ(res->body, body);
    } else {
      EXPECT_FALSE(res) << "cut at " << k << " gave status " << res->status;
      if (!res) {
        EXPECT_FALSE(res.error().message.empty());
      }
    }
  }
  done = true;
  ::shutdown(listener, SHUT_RDWR);
  ::close(listener);
  server.join();
}

}  // namespace
}  // namespace asc_webhookd::test
