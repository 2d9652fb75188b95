// The HTTP request path through the real server: the daemon (its store in
// a temporary file) listens on 127.0.0.1; each input is written to a new
// connection as raw bytes, the write side closed, and whatever comes back
// read until the server closes. Bytes in → an answer or a closed
// connection; a crash, a leak or a hang (no answer nor close in 5 s) is
// the finding.
#include "asc_webhookd/app/daemon.hpp"
#include "asc_webhookd/config/loader.hpp"
#include "asc_webhookd/http/server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/executor_work_guard.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <thread>

namespace {

struct Running {
  std::unique_ptr<asc_webhookd::app::Daemon> daemon;
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work;
  std::thread io;
  std::uint16_t port = 0;
};

Running& daemon() {
  static Running* r = [] {
    auto* run = new Running;
    char dir_template[] = "/tmp/asc-webhookd-fuzz-XXXXXX";
    const std::string dir = ::mkdtemp(dir_template);
    const std::string yaml = "server:\n  listen: 127.0.0.1:0\n  header_timeout: 1s\n  body_timeout: 1s\n  max_body: 64KiB\n"
                             // No admin_token: a wrong token slows the next answers by design
                             // (up to 5 s), which would stall the fuzzer; the console's
                             // parameters have their own target (fuzz_admin_query).
                             "store:\n  path: " + dir + "/state.db\n"
                             "log:\n  level: error\nwebhooks:\n  - name: app\n    secret: fuzz-secret-value\n"
                             "rules:\n  - name: r\n    when: { event: buildUploadStateUpdated }\n    actions:\n"
                             "      - http: { url: \"http://127.0.0.1:1/x\" }\n";
    auto cfg = asc_webhookd::config::load_config_string(yaml, "fuzz.yaml");
    if (!cfg.ok()) std::abort();
    auto made = asc_webhookd::app::Daemon::create(cfg.config);
    if (!made) std::abort();
    run->daemon = std::move(*made);
    run->daemon->start();
    run->port = run->daemon->server().local_ports().at(0);
    run->work = std::make_unique<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
        run->daemon->io().get_executor());
    run->io = std::thread([run] { run->daemon->io().run(); });
    return run;
  }();
  return *r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Running& d = daemon();
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(d.port);
  ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  // Tens of thousands of connections a minute: a refused connect (no port
  // left for a moment) is the harness's limit, not a finding: try again.
  int fd = -1;
  for (int i = 0;; ++i) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0) break;
    ::close(fd);
    if (i == 100) std::abort();  // 5 s without a connection: the server stopped accepting
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  timeval tv{5, 0};  // more than header_timeout: a server that never answers nor closes is a finding
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::size_t sent = 0;
  while (sent < size) {
    const auto n = ::send(fd, data + sent, size - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server closed early: fine
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  char buf[8192];
  for (;;) {
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) std::abort();  // neither answered nor closed in 5 s
      break;
    }
  }
  linger no_time_wait{1, 0};  // closed with a reset: no TIME_WAIT pile-up on the client side
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &no_time_wait, sizeof no_time_wait);
  ::close(fd);
  return 0;
}
