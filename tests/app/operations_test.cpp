// Running as a service: sd_notify on a real NOTIFY_SOCKET, watchdog pings,
// SIGHUP reloads (good and bad), SIGTERM with a slow upstream in flight, a
// TLS certificate replaced on disk, and the unit file checked by systemd.
#include "asc_webhookd/ingest/signature.hpp"

#include "support/daemon.hpp"
#include "support/fake_http.hpp"
#include "support/pipeline.hpp"
#include "support/raw_client.hpp"
#include "support/temp_dir.hpp"
#include "support/test_ca.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <thread>

namespace asc_webhookd::test {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

// A datagram socket standing in for systemd's notify socket.
class NotifySocket {
public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  ~NotifySocket() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  // The next message, or "" after `timeout`.
  std::string next(std::chrono::milliseconds timeout = 10s) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return "";
    char buf[4096];
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
  }
  // The next message that is not a watchdog ping.
  std::string next_state(std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto m = next(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
      if (m != "WATCHDOG=1") return m;
    }
    return "";
  }

private:
  std::string path_;
  int fd_ = -1;
};

int post(std::uint16_t port, const std::string& body, const std::string& secret) {
  return post_signed(port, "ios-app", body, secret).status;
}

std::string ping(const std::string& id) {
  return R"({"data":{"type":"webhookPingCreated","id":")" + id + R"(","version":1}})";
}

std::string config(const TempDir& dir, const std::string& secret, const std::string& previous, const std::string& rules) {
  return "server:\n  listen: 127.0.0.1:0\nstore:\n  path: " + dir.file("state.db") +
         "\ndelivery:\n  initial_backoff: 100ms\nwebhooks:\n  - name: ios-app\n    secret: " + secret +
         "\n    previous_secrets: [" + previous + "]\n" + rules;
}

TEST(Operations, NotifiesReadyReloadingStoppingAndPingsTheWatchdog) {
  TempDir dir;
  NotifySocket notify(dir.file("notify.sock"));
  auto cfg = dir.write("c.yaml", config(dir, "one", "", "rules: []\n"));
  Daemon d({"--config", cfg}, {{"NOTIFY_SOCKET", dir.file("notify.sock")}, {"WATCHDOG_USEC", "200000"}});
  EXPECT_EQ(notify.next_state(), "READY=1") << d.log();
  ASSERT_NE(d.wait_listening(), 0);
  // Pings at half of WatchdogSec: several within a second or two, never a flood.
  std::vector<std::chrono::steady_clock::time_point> pings;
  while (pings.size() < 4) {
    auto m = notify.next(5s);
    ASSERT_EQ(m, "WATCHDOG=1");
    pings.push_back(std::chrono::steady_clock::now());
  }
  for (std::size_t i = 1; i < pings.size(); ++i) EXPECT_GE(pings[i] - pings[i - 1], 50ms);
  d.signal(SIGHUP);
  auto reloading = notify.next_state();
  EXPECT_EQ(reloading.rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u) << reloading;
  EXPECT_EQ(notify.next_state(), "READY=1");
  d.signal(SIGTERM);
  EXPECT_EQ(notify.next_state(), "STOPPING=1");
  auto code = d.wait_exit();
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 0);
}

TEST(Operations, ReloadAppliesAValidConfigAndKeepsTheOldOneOnErrors) {
  TempDir dir;
  FakeHttpServer fake;
  auto cfg = dir.write("c.yaml", config(dir, "first-secret", "", "rules: []\n"));
  Daemon d({"--config", cfg});
  auto port = d.wait_listening();
  ASSERT_NE(port, 0) << d.log();
  EXPECT_EQ(post(port, ping("r-1"), "first-secret"), 200);

  // Rotate the secret (old one kept as previous) and add a rule.
  dir.write("c.yaml", config(dir, "second-secret", "first-secret",
                             "rules:\n  - name: new-rule\n    actions:\n      - http: { url: \"" + fake.url("/new") + "\" }\n"));
  d.signal(SIGHUP);
  ASSERT_TRUE(d.wait_log("configuration reloaded webhooks=1 rules=1"));
  EXPECT_EQ(post(port, ping("r-2"), "second-secret"), 200);
  EXPECT_EQ(post(port, ping("r-3"), "first-secret"), 200);
  EXPECT_EQ(post(port, ping("r-4"), "third-secret"), 401);
  ASSERT_TRUE(fake.wait_for(2));  // the new rule fires for the events after the reload

  // A broken file: every error logged, nothing changes.
  dir.write("c.yaml", "server:\n  listen: 127.0.0.1:0\n  max_body: lots\nwebhooks: []\nrules: []\n");
  d.signal(SIGHUP);
  ASSERT_TRUE(d.wait_log("reload failed; still serving the previous configuration"));
  auto log = d.log();
  EXPECT_NE(log.find("server.max_body must be a size"), std::string::npos) << log;
  EXPECT_NE(log.find("webhooks must list at least one webhook"), std::string::npos) << log;
  EXPECT_EQ(post(port, ping("r-5"), "second-secret"), 200);
  ASSERT_TRUE(fake.wait_for(3));
  d.signal(SIGTERM);
  EXPECT_EQ(d.wait_exit(), 0);
}

TEST(Operations, SigtermFinishesTheAttemptInFlightThenExits) {
  TempDir dir;
  FakeHttpServer fake([](const FakeRequest&) { return FakeResponse{200, {}, "slow but fine", 500ms}; });
  auto cfg = dir.write("c.yaml", config(dir, "s", "",
                                        "rules:\n  - name: slow\n    actions:\n      - http: { url: \"" + fake.url("/slow") + "\" }\n"));
  Daemon d({"--config", cfg});
  auto port = d.wait_listening();
  ASSERT_NE(port, 0);
  ASSERT_EQ(post(port, ping("slow-1"), "s"), 200);
  ASSERT_TRUE(fake.wait_for(1));  // in flight now
  d.signal(SIGTERM);
  auto code = d.wait_exit(20s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 0);
  EXPECT_NE(d.log().find("outcome=done"), std::string::npos) << d.log();
  auto shown = run_binary({"event", "show", "slow-1", "--config", cfg});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(json::parse(shown.out)["state"], "done");
}

std::string served_subject(std::uint16_t port, const std::string& ca) {
  std::string cmd = "openssl s_client -connect 127.0.0.1:" + std::to_string(port) + " -servername localhost -CAfile " + ca +
                    " </dev/null 2>/dev/null | openssl x509 -noout -subject 2>/dev/null";
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[512];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    ::pclose(p);
  }
  // OpenSSL 3.0 prints "CN = first", 3.2 and later "CN=first".
  std::erase(out, ' ');
  return out;
}

TEST(Operations, ReplacedCertificateIsServedAfterSighup) {
  TempDir dir;
  TestCa ca;
  auto first = ca.issue("first");
  auto second = ca.issue("second");
  auto cert = dir.write("cert.pem", read_file(first.cert_file));
  auto key = dir.write("key.pem", read_file(first.key_file));
  auto cfg = dir.write("c.yaml", "server:\n  listen: 127.0.0.1:0\n  tls:\n    cert_file: " + cert + "\n    key_file: " + key +
                                     "\nstore:\n  path: " + dir.file("s.db") + "\nwebhooks: [{name: a, secret: x}]\nrules: []\n");
  Daemon d({"--config", cfg});
  auto port = d.wait_listening();
  ASSERT_NE(port, 0) << d.log();
  EXPECT_NE(served_subject(port, ca.ca_file()).find("CN=first"), std::string::npos);
  dir.write("cert.pem", read_file(second.cert_file));
  dir.write("key.pem", read_file(second.key_file));
  d.signal(SIGHUP);
  ASSERT_TRUE(d.wait_log("configuration reloaded"));
  EXPECT_NE(served_subject(port, ca.ca_file()).find("CN=second"), std::string::npos);
  d.signal(SIGTERM);
  EXPECT_EQ(d.wait_exit(), 0);
}

TEST(Operations, UnitFilePassesSystemdChecks) {
  if (std::system("command -v systemd-analyze >/dev/null 2>&1") != 0) GTEST_SKIP() << "systemd-analyze not installed";
  TempDir dir;
  // verify wants ExecStart to exist: point the unit at the binary under test.
  std::string unit = read_file(std::string(ASC_WEBHOOKD_SOURCE_DIR) + "/systemd/asc-webhookd.service");
  auto at = unit.find("/usr/local/bin/asc-webhookd");
  ASSERT_NE(at, std::string::npos);
  unit.replace(at, std::strlen("/usr/local/bin/asc-webhookd"), ASC_WEBHOOKD_BINARY);
  auto path = dir.write("asc-webhookd.service", unit);
  auto run = [](const std::string& cmd) {
    std::string out;
    if (FILE* p = ::popen((cmd + " 2>&1").c_str(), "r")) {
      char buf[512];
      while (std::fgets(buf, sizeof buf, p)) out += buf;
      ::pclose(p);
    }
    return out;
  };
  auto verify = run("systemd-analyze verify " + path);
  EXPECT_EQ(verify.find("asc-webhookd.service"), std::string::npos) << verify;
  auto security = run("systemd-analyze security --offline=true " + path);
  auto pos = security.find("Overall exposure level for asc-webhookd.service: ");
  ASSERT_NE(pos, std::string::npos) << security;
  double exposure = std::stod(security.substr(pos + std::strlen("Overall exposure level for asc-webhookd.service: ")));
  EXPECT_LE(exposure, 2.0) << security;
}

}  // namespace
}  // namespace asc_webhookd::test
