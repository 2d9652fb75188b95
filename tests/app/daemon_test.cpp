// The real daemon process: start, answer, `send`, logs, signals.
#include "support/daemon.hpp"
#include "support/raw_client.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <signal.h>

namespace asc_webhookd::test {
namespace {

std::string config_with(const TempDir& dir, const std::string& secret_line, const std::string& log = "debug") {
  return "server:\n  listen: 127.0.0.1:0\nstore:\n  path: " + dir.file("state.db") + "\nlog:\n  level: " + log +
         "\nwebhooks:\n  - name: ios-app\n    " + secret_line + "\n    previous_secrets: [\"${env:OLD_SECRET}\"]\nrules: []\n";
}

TEST(Daemon, ServesSendAndStopsCleanlyOnSigterm) {
  TempDir dir;
  auto cfg = dir.write("c.yaml", config_with(dir, "secret: ${env:HOOK_SECRET}"));
  std::map<std::string, std::string> env{{"HOOK_SECRET", "daemon-test-secret-value"}, {"OLD_SECRET", "old-daemon-secret"}};
  Daemon d({"serve", "--config", cfg}, env);
  auto port = d.wait_listening();
  ASSERT_NE(port, 0) << d.log();
  auto url = "http://127.0.0.1:" + std::to_string(port) + "/webhooks/ios-app";
  for (const char* f : {"events/webhookPingCreated.json", "events/seed/01-buildUploadStateUpdated-COMPLETE.json"}) {
    auto r = run_binary({"send", "--config", cfg, "--webhook", "ios-app", "--url", url, std::string(ASC_WEBHOOKD_FIXTURES) + "/" + f}, env);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.rfind("200 {\"id\":", 0), 0u) << r.out;
  }
  // A bad signature: send with another secret.
  auto other = dir.write("other.yaml", config_with(dir, "secret: wrong-secret-value"));
  auto r401 = run_binary({"send", "--config", other, "--webhook", "ios-app", "--url", url,
                          std::string(ASC_WEBHOOKD_FIXTURES) + "/events/webhookPingCreated.json"}, env);
  EXPECT_EQ(r401.exit_code, 1);
  EXPECT_NE(r401.out.find("401"), std::string::npos);

  d.signal(SIGTERM);
  auto code = d.wait_exit();
  ASSERT_TRUE(code) << "did not exit after SIGTERM";
  EXPECT_EQ(*code, 0);
  auto log = d.log();
  EXPECT_NE(log.find("type=buildUploadStateUpdated id=f6494f46-8e1f-59a0-8a03-9474df69848f from=PROCESSING to=COMPLETE outcome=accepted"),
            std::string::npos) << log;
  EXPECT_NE(log.find("outcome=invalid_signature"), std::string::npos);
  EXPECT_NE(log.find("stopped"), std::string::npos);
  // Debug level, and still no secret of any kind in the log.
  EXPECT_EQ(log.find("daemon-test-secret-value"), std::string::npos) << log;
  EXPECT_EQ(log.find("old-daemon-secret"), std::string::npos) << log;
  EXPECT_EQ(log.find("wrong-secret-value"), std::string::npos) << log;
}

TEST(Daemon, SigintFinishesAnOpenRequestThenExits) {
  TempDir dir;
  auto cfg = dir.write("c.yaml", config_with(dir, "secret: ${env:HOOK_SECRET}", "info"));
  Daemon d({"--config", cfg}, {{"HOOK_SECRET", "x1"}, {"OLD_SECRET", "x2"}});
  auto port = d.wait_listening();
  ASSERT_NE(port, 0) << d.log();
  {
    RawClient c(port);
    ASSERT_TRUE(c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n"));  // headers not finished yet
    // Make sure the daemon has the connection before it is told to stop.
    RawClient probe(port);
    ASSERT_TRUE(probe.send(make_request("GET", "/healthz", "", {}, false)));
    ASSERT_TRUE(probe.read_response());
    d.signal(SIGINT);
    ASSERT_TRUE(d.wait_log("stopping signal=SIGINT"));
    ASSERT_TRUE(c.send("\r\n"));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->header("connection"), "close");
  }  // closed here, as a client does after "Connection: close" (else the daemon lingers 1 s)
  auto code = d.wait_exit();
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 0);
}

TEST(Daemon, JsonLogFormat) {
  TempDir dir;
  auto cfg = dir.write("c.yaml", "server:\n  listen: 127.0.0.1:0\nstore:\n  path: " + dir.file("s.db") + "\nlog:\n  format: json\nwebhooks: [{name: a, secret: \"${env:S}\"}]\nrules: []\n");
  Daemon d({"--config", cfg}, {{"S", "x"}});
  ASSERT_NE(d.wait_listening(), 0) << d.log();
  d.signal(SIGTERM);
  ASSERT_TRUE(d.wait_exit());
  auto log = d.log();
  EXPECT_NE(log.find("{\"level\":\"info\",\"logger\":\"http\",\"msg\":\"listening address=127.0.0.1:"), std::string::npos) << log;
}

TEST(Daemon, PortInUseIsARuntimeFailure) {
  TempDir dir;
  auto cfg1 = dir.write("a.yaml", "server:\n  listen: 127.0.0.1:0\nstore:\n  path: " + dir.file("a.db") + "\nwebhooks: [{name: a, secret: \"${env:S}\"}]\nrules: []\n");
  Daemon first({"--config", cfg1}, {{"S", "x"}});
  auto port = first.wait_listening();
  ASSERT_NE(port, 0);
  auto cfg2 = dir.write("b.yaml", "server:\n  listen: 127.0.0.1:" + std::to_string(port) +
                                      "\nstore:\n  path: " + dir.file("b.db") + "\nwebhooks: [{name: a, secret: \"${env:S}\"}]\nrules: []\n");
  auto r = run_binary({"--config", cfg2}, {{"S", "x"}});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("cannot listen on 127.0.0.1:" + std::to_string(port)), std::string::npos) << r.err;
}

}  // namespace
}  // namespace asc_webhookd::test
