// The outbound client reuses a kept-alive connection only after a clean
// exchange: an answer with bytes after it, or bytes that arrive while the
// connection sits idle, close it, so no later request reads an earlier
// request's answer.
#include "asc_webhookd/outbound/client.hpp"

#include "support/raw_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <thread>
#include <vector>

namespace asc_webhookd::test {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;

// Answers each request with `answer(n)` (n: the request's number, from 1);
// `after(n)`, if set, is written 50 ms later on the same connection.
class RawUpstream {
public:
  RawUpstream(std::function<std::string(int)> answer, std::function<std::string(int)> after = nullptr)
      : answer_(std::move(answer)), after_(std::move(after)) {
    fd_ = listen_loopback(port_, 8);
    thread_ = std::thread([this] { run(); });
  }
  ~RawUpstream() {
    stop_ = true;
    thread_.join();
    for (int c : clients_) ::close(c);
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  int connections() const { return accepted_; }

private:
  void run() {
    std::vector<pollfd> fds{{fd_, POLLIN, 0}};
    std::vector<std::string> bufs{""};
    while (!stop_) {
      if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
      for (std::size_t i = 0; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
        if (i == 0) {
          int c = ::accept(fd_, nullptr, nullptr);
          if (c < 0) continue;
          ++accepted_;
          clients_.push_back(c);
          fds.push_back({c, POLLIN, 0});
          bufs.emplace_back();
          continue;
        }
        char chunk[4096];
        auto n = ::recv(fds[i].fd, chunk, sizeof chunk, 0);
        if (n <= 0) {
          fds[i].fd = -fds[i].fd - 1;  // closed by the client: poll ignores negative fds
          continue;
        }
        bufs[i].append(chunk, static_cast<std::size_t>(n));
        while (bufs[i].find("\r\n\r\n") != std::string::npos) {  // these requests have no body
          bufs[i].erase(0, bufs[i].find("\r\n\r\n") + 4);
          const int number = ++requests_;
          auto out = answer_(number);
          ::send(fds[i].fd, out.data(), out.size(), MSG_NOSIGNAL);
          if (after_) {
            std::this_thread::sleep_for(50ms);
            auto extra = after_(number);
            ::send(fds[i].fd, extra.data(), extra.size(), MSG_NOSIGNAL);
          }
        }
      }
    }
  }

  std::function<std::string(int)> answer_, after_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  int requests_ = 0;
  std::vector<int> clients_;
};

std::string ok(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

using Results = std::vector<Result<outbound::ClientResponse, Error>>;

// Two GETs in a row through one client (one pool), 150 ms apart. The
// references outlive the coroutine: ioc.run() returns only after it ends.
net::awaitable<void> get_twice(outbound::HttpClient& client, std::string url, Results& out) {
  for (int i = 0; i < 2; ++i) {
    outbound::ClientRequest req;
    req.url = url;
    req.timeout = 5s;
    out.push_back(co_await client.request(req));
    net::steady_timer t(co_await net::this_coro::executor, 150ms);
    co_await t.async_wait(net::use_awaitable);
  }
}

Results two_requests(const std::string& url) {
  net::io_context ioc;
  outbound::HttpClient client(ioc.get_executor(), outbound::ProxySettings{});
  Results results;
  net::co_spawn(ioc, get_twice(client, url, results), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  ioc.run();
  return results;
}

TEST(ClientPool, CleanExchangesReuseTheConnection) {
  RawUpstream up([](int n) { return ok("answer-" + std::to_string(n)); });
  auto r = two_requests(up.url());
  ASSERT_EQ(r.size(), 2u);
  ASSERT_TRUE(r[0] && r[1]);
  EXPECT_EQ(r[0]->body, "answer-1");
  EXPECT_EQ(r[1]->body, "answer-2");
  EXPECT_EQ(up.connections(), 1);
}

TEST(ClientPool, BytesAfterTheAnswerCloseTheConnection) {
  // A second, unasked-for answer right behind the first: a desynchronised peer.
  RawUpstream up([](int n) { return ok("answer-" + std::to_string(n)) + ok("smuggled"); });
  auto r = two_requests(up.url());
  ASSERT_EQ(r.size(), 2u);
  ASSERT_TRUE(r[0] && r[1]);
  EXPECT_EQ(r[0]->body, "answer-1");
  EXPECT_EQ(r[1]->body, "answer-2");  // not "smuggled"
  EXPECT_EQ(up.connections(), 2);
}

TEST(ClientPool, BytesArrivingWhileIdleCloseTheConnection) {
  RawUpstream up([](int n) { return ok("answer-" + std::to_string(n)); },
                 [](int) { return ok("late"); });
  auto r = two_requests(up.url());
  ASSERT_EQ(r.size(), 2u);
  ASSERT_TRUE(r[0] && r[1]);
  EXPECT_EQ(r[1]->body, "answer-2");  // not "late"
  EXPECT_EQ(up.connections(), 2);
}

TEST(ClientPool, AnInformationalAnswerIsNotAReusableExchange) {
  RawUpstream up([](int n) { return n == 1 ? std::string("HTTP/1.1 102 Processing\r\n\r\n") : ok("answer-2"); });
  auto r = two_requests(up.url());
  ASSERT_EQ(r.size(), 2u);
  ASSERT_TRUE(r[1]);
  EXPECT_EQ(r[1]->body, "answer-2");
  EXPECT_EQ(up.connections(), 2);
}

TEST(ClientPool, AHostileHeaderIsRefusedBeforeAnythingIsSent) {
  RawUpstream up([](int n) { return ok("answer-" + std::to_string(n)); });
  outbound::ClientRequest req;
  req.url = up.url();
  req.headers = {{"X-Event", "x\r\nContent-Length: 0\r\n\r\nGET /smuggled HTTP/1.1"}};
  auto r = outbound::fetch_blocking(req);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("header X-Event: value contains a control character (CR)"), std::string::npos)
      << r.error().message;
  EXPECT_EQ(up.connections(), 0);
}

}  // namespace
}  // namespace asc_webhookd::test
