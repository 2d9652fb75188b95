// The outbound client through a proxy: https by a CONNECT tunnel (TLS to the
// target inside it, verified against the target's certificate), http in
// absolute form; NO_PROXY's matching rules.
#include "asc_webhookd/outbound/client.hpp"

#include "support/raw_client.hpp"
#include "support/test_ca.hpp"
#include "support/test_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace asc_webhookd::test {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;

int connect_loopback(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// One connection at a time: CONNECT host:port → 200 and a byte relay to
// 127.0.0.1:port; any other request → 200 "via proxy" (recording its target).
class FakeProxy {
public:
  FakeProxy() {
    fd_ = listen_loopback(port_);
    thread_ = std::thread([this] { run(); });
  }
  ~FakeProxy() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

private:
  void run() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c >= 0) serve(c);
    }
  }
  void serve(int c) {
    std::string head;
    char buf[16384];
    while (head.find("\r\n\r\n") == std::string::npos) {
      auto n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) return (void)::close(c);
      head.append(buf, static_cast<std::size_t>(n));
    }
    const std::string line = head.substr(0, head.find("\r\n"));
    {
      std::lock_guard lock(mutex_);
      lines_.push_back(line);
    }
    if (line.rfind("CONNECT ", 0) != 0) {
      const std::string res = "HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nvia proxy";
      ::send(c, res.data(), res.size(), MSG_NOSIGNAL);
      ::close(c);
      return;
    }
    const auto colon = line.rfind(':');
    const auto port = static_cast<std::uint16_t>(std::stoi(line.substr(colon + 1)));
    int up = connect_loopback(port);
    const std::string ok = up >= 0 ? "HTTP/1.1 200 Connection established\r\n\r\n" : "HTTP/1.1 502 Bad Gateway\r\n\r\n";
    ::send(c, ok.data(), ok.size(), MSG_NOSIGNAL);
    for (bool open = up >= 0; open && !stop_;) {
      pollfd fds[2] = {{c, POLLIN, 0}, {up, POLLIN, 0}};
      if (::poll(fds, 2, 50) <= 0) continue;
      for (int i = 0; i < 2 && open; ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
        auto n = ::recv(fds[i].fd, buf, sizeof buf, 0);
        if (n <= 0) open = false;
        else ::send(fds[1 - i].fd, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL);
      }
    }
    if (up >= 0) ::close(up);
    ::close(c);
  }
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

Result<outbound::ClientResponse, Error> get(const std::string& url, outbound::ProxySettings proxy) {
  net::io_context ioc;
  outbound::HttpClient client(ioc.get_executor(), std::move(proxy));
  std::optional<Result<outbound::ClientResponse, Error>> out;
  outbound::ClientRequest req;
  req.url = url;
  req.timeout = 10s;
  net::co_spawn(ioc, client.request(req), [&](std::exception_ptr e, Result<outbound::ClientResponse, Error> r) {
    if (e) std::rethrow_exception(e);
    out = std::move(r);
  });
  ioc.run();
  return std::move(*out);
}

TEST(ClientProxy, HttpsGoesThroughAConnectTunnelAndVerifiesTheTarget) {
  TestCa ca;
  auto cert = ca.issue("localhost");
  TestServer target(basic_config("  tls:\n    cert_file: " + cert.cert_file + "\n    key_file: " + cert.key_file + "\n"));
  FakeProxy proxy;
  ::setenv("SSL_CERT_FILE", ca.ca_file().c_str(), 1);  // read when the client loads its CA store
  const std::string url = "https://localhost:" + std::to_string(target.port()) + "/healthz";
  auto r = get(url, {"", proxy.url(), ""});
  ::unsetenv("SSL_CERT_FILE");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200u);
  EXPECT_NE(r->body.find("\"ok\""), std::string::npos) << r->body;
  auto lines = proxy.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "CONNECT localhost:" + std::to_string(target.port()) + " HTTP/1.1");
}

TEST(ClientProxy, HttpUsesTheAbsoluteFormAndNoProxyBypasses) {
  FakeProxy proxy;
  auto r = get("http://example.invalid:8080/hook?x=1", {proxy.url(), "", ""});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->body, "via proxy");
  ASSERT_EQ(proxy.lines().size(), 1u);
  EXPECT_EQ(proxy.lines()[0], "GET http://example.invalid:8080/hook?x=1 HTTP/1.1");
  // NO_PROXY names the host: straight to it (here: nothing listens, so it fails without the proxy).
  auto direct = get("http://127.0.0.1:1/hook", {proxy.url(), "", "127.0.0.1"});
  EXPECT_FALSE(direct);
  EXPECT_EQ(proxy.lines().size(), 1u);
}

TEST(ClientProxy, NoProxyMatching) {
  outbound::ProxySettings p{"http://p:3128", "http://ps:3128", "internal.example, .corp.example,localhost:8080"};
  EXPECT_EQ(p.proxy_for("https", "api.github.com"), "http://ps:3128");
  EXPECT_EQ(p.proxy_for("http", "api.github.com"), "http://p:3128");
  EXPECT_EQ(p.proxy_for("https", "internal.example"), "");
  EXPECT_EQ(p.proxy_for("https", "a.internal.example"), "");
  EXPECT_EQ(p.proxy_for("https", "notinternal.example"), "http://ps:3128");
  EXPECT_EQ(p.proxy_for("https", "jira.corp.example"), "");
  EXPECT_EQ(p.proxy_for("https", "LOCALHOST"), "");
  outbound::ProxySettings all{"http://p:3128", "http://p:3128", "*"};
  EXPECT_EQ(all.proxy_for("https", "api.github.com"), "");
  outbound::ProxySettings none{};
  EXPECT_EQ(none.proxy_for("https", "api.github.com"), "");
}

}  // namespace
}  // namespace asc_webhookd::test
