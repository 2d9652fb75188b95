// The proxy recipes of config/proxy/, tested as shipped: nginx (Debian's
// nginx-light) and Caddy (Debian's caddy 2.6) start with the recipe — only
// the site name, certificate, ports and upstream replaced — in front of the
// real daemon, and a real TLS client (curl, with the test CA) posts signed
// events through them from its own loopback address. The body arrives
// byte for byte (the signature verifies), the client's address reaches the
// daemon's log via X-Forwarded-For (a forged one does not), a body over
// server.max_body is refused at the proxy, and /api and /ui are not proxied.
#include "asc_webhookd/ingest/signature.hpp"

#include "support/daemon.hpp"
#include "support/pipeline.hpp"
#include "support/raw_client.hpp"
#include "support/temp_dir.hpp"
#include "support/test_ca.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <csignal>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

namespace asc_webhookd::test {
namespace {

const char* kSecret = "proxy-recipe-secret-1";

std::string recipe(const std::string& name) { return read_file(std::string(ASC_WEBHOOKD_SOURCE_DIR) + "/config/proxy/" + name); }

// Replaces every `from`; the recipe must contain it (a renamed line in the
// recipe fails here instead of testing something else).
void replace(std::string& text, const std::string& from, const std::string& to) {
  auto pos = text.find(from);
  ASSERT_NE(pos, std::string::npos) << "the recipe no longer has: " << from;
  for (; pos != std::string::npos; pos = text.find(from, pos + to.size())) text.replace(pos, from.size(), to);
}

bool accepts(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

struct Answer {
  int status = 0;
  std::string body;
};

struct ProxyRig {
  TempDir dir;
  TestCa ca;
  TestCa::Issued cert = ca.issue("proxy");
  std::uint16_t daemon_port = free_loopback_port();
  std::uint16_t proxy_port = free_loopback_port();
  std::unique_ptr<Daemon> daemon, proxy;

  ~ProxyRig() {  // the proxy stopped as an operator would (no worker left behind)
    if (proxy) {
      proxy->signal(SIGTERM);
      proxy->wait_exit(std::chrono::seconds(10));
    }
  }

  void start_daemon() {
    const std::string cfg = dir.write("asc.yaml", "server:\n  listen: 127.0.0.1:" + std::to_string(daemon_port) +
                                                      "\nstore:\n  path: " + dir.file("state.db") +
                                                      "\nwebhooks:\n  - name: ios-app\n    secret: " + kSecret + "\nrules: []\n");
    daemon = std::make_unique<Daemon>(std::vector<std::string>{"--config", cfg});
    ASSERT_EQ(daemon->wait_listening(), daemon_port) << daemon->log();
  }
  void wait_proxy() {
    for (int i = 0; i < 500 && !accepts(proxy_port); ++i) {
      ASSERT_FALSE(proxy->wait_exit(std::chrono::milliseconds(0))) << proxy->log();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_TRUE(accepts(proxy_port)) << proxy->log();
  }
  // curl over TLS from `source` (a loopback address of its own).
  Answer request(const std::string& method, const std::string& path, const std::string& body = "",
                 std::vector<std::string> headers = {}, const std::string& source = "127.0.0.7", bool http1 = false) const {
    TempDir t;
    std::vector<std::string> args{"-sS", "-o", t.file("body"), "-w", "%{http_code}", "--cacert", ca.ca_file(),
                                  "--interface", source, "-X", method};
    if (http1) args.push_back("--http1.1");
    if (method == "POST") args.insert(args.end(), {"--data-binary", "@" + t.write("request", body)});
    for (const auto& h : headers) args.insert(args.end(), {"-H", h});
    args.push_back("https://localhost:" + std::to_string(proxy_port) + path);
    auto r = run_program("/usr/bin/curl", args);
    // An answer curl got counts even when the stream then ended in error (a
    // proxy refusing a body over HTTP/2 answers, then resets the stream).
    const int status = std::atoi(r.out.c_str());
    return {status > 0 ? status : -r.exit_code, read_file(t.file("body"))};
  }
};

// What both recipes must do, whichever proxy is in front.
void expect_the_recipe_holds(ProxyRig& rig) {
  // A body with the whitespace and non-ASCII text a proxy might "fix".
  std::string body = fixture_event("events/buildUploadStateUpdated.json", "via-proxy-1", "up-proxy", "COMPLETE");
  body.insert(body.size() - 1, "  \r\n\t ");
  body.insert(1, "\"note\": \"Größe 👍\", ");
  const std::string sig = "x-apple-signature: " + ingest::sign(kSecret, body);
  auto ok = rig.request("POST", "/webhooks/ios-app", body, {"Content-Type: application/json", sig});
  EXPECT_EQ(ok.status, 200) << ok.body << "\n" << rig.daemon->log() << rig.proxy->log();
  EXPECT_NE(ok.body.find("\"status\":\"accepted\""), std::string::npos) << ok.body;
  // The client's address arrived as X-Forwarded-For.
  // (the request line is logged once the answer is sent: waited for, not read at once)
  EXPECT_TRUE(rig.daemon->wait_log("remote=127.0.0.7 method=POST target=/webhooks/ios-app status=200")) << rig.daemon->log();

  // A forged X-Forwarded-For is replaced by the client's real address.
  std::string second = fixture_event("events/buildUploadStateUpdated.json", "via-proxy-2", "up-proxy", "COMPLETE");
  auto forged = rig.request("POST", "/webhooks/ios-app", second,
                            {"Content-Type: application/json", "x-apple-signature: " + ingest::sign(kSecret, second),
                             "X-Forwarded-For: 203.0.113.50"}, "127.0.0.8");
  EXPECT_EQ(forged.status, 200) << forged.body;
  EXPECT_TRUE(rig.daemon->wait_log("remote=127.0.0.8 method=POST")) << rig.daemon->log();
  EXPECT_EQ(rig.daemon->log().find("203.0.113.50"), std::string::npos) << rig.daemon->log();

  // A changed byte fails the signature at the daemon, through the proxy.
  std::string tampered = body;
  tampered[tampered.find("up-proxy")] = 'U';
  EXPECT_EQ(rig.request("POST", "/webhooks/ios-app", tampered, {"Content-Type: application/json", sig}).status, 401);

  // Over server.max_body (1 MiB): refused at the proxy, never reaching the
  // daemon; exactly 1 MiB passes the proxy (the daemon answers: a bad signature).
  const std::string big(1024 * 1024 + 1, ' ');
  for (bool http1 : {true, false}) {
    auto over = rig.request("POST", "/webhooks/ios-app", big, {"Content-Type: application/json", sig}, "127.0.0.9", http1);
    // Over HTTP/2, Caddy answers 413 and resets the stream while curl is
    // still uploading: curl reports the reset (exit 92). Refused either way.
    if (http1) EXPECT_EQ(over.status, 413) << over.body;
    else EXPECT_TRUE(over.status == 413 || over.status == -92) << over.status << " " << over.body;
  }
  const std::string limit(1024 * 1024, ' ');
  EXPECT_EQ(rig.request("POST", "/webhooks/ios-app", limit, {"Content-Type: application/json", sig}, "127.0.0.10").status, 401);
  // Logged in order: once the 1 MiB request's line is there, an oversized one would be too.
  EXPECT_TRUE(rig.daemon->wait_log("remote=127.0.0.10 method=POST")) << rig.daemon->log();
  EXPECT_EQ(rig.daemon->log().find("remote=127.0.0.9"), std::string::npos) << rig.daemon->log();

  // The console and the operator endpoints are not proxied.
  for (const char* path : {"/api/v1/events", "/ui/", "/metrics", "/readyz"})
    EXPECT_EQ(rig.request("GET", path).status, 404) << path;
  EXPECT_EQ(rig.request("GET", "/healthz").status, 200);
  const std::string log = rig.daemon->log();
  EXPECT_EQ(log.find("target=/api"), std::string::npos) << log;
  EXPECT_EQ(log.find("target=/metrics"), std::string::npos) << log;
}

TEST(ProxyRecipes, NginxInFrontOfTheDaemon) {
  ProxyRig rig;
  rig.start_daemon();
  std::string site = recipe("nginx.conf");
  replace(site, "listen 443 ssl http2;", "listen 127.0.0.1:" + std::to_string(rig.proxy_port) + " ssl http2;");
  replace(site, "    listen [::]:443 ssl http2;\n", "");
  replace(site, "server_name hooks.example.com;", "server_name localhost;");
  replace(site, "/etc/letsencrypt/live/hooks.example.com/fullchain.pem", rig.cert.cert_file);
  replace(site, "/etc/letsencrypt/live/hooks.example.com/privkey.pem", rig.cert.key_file);
  replace(site, "127.0.0.1:8080", "127.0.0.1:" + std::to_string(rig.daemon_port));
  const std::string d = rig.dir.file("");
  // nginx's own frame around a site file (what /etc/nginx/nginx.conf gives it).
  const std::string main = rig.dir.write(
      "nginx.conf", std::string(::geteuid() == 0 ? "user root root;\n" : "") + "pid " + d + "nginx.pid;\nerror_log stderr info;\n"
                    "master_process off;\n"
                    "worker_processes 1;\nevents { worker_connections 64; }\nhttp {\n  access_log off;\n"
                    "  client_body_temp_path " + d + "body;\n  proxy_temp_path " + d + "proxy;\n  fastcgi_temp_path " + d + "fcgi;\n"
                    "  uwsgi_temp_path " + d + "uwsgi;\n  scgi_temp_path " + d + "scgi;\n  include " + rig.dir.write("site.conf", site) + ";\n}\n");
  auto check = run_program("/usr/sbin/nginx", {"-t", "-p", d, "-c", main, "-e", "stderr"});
  ASSERT_EQ(check.exit_code, 0) << check.err;
  rig.proxy = std::make_unique<Daemon>(Daemon::Program{"/usr/sbin/nginx"}, std::vector<std::string>{"-p", d, "-c", main, "-e", "stderr", "-g", "daemon off;"});
  rig.wait_proxy();
  expect_the_recipe_holds(rig);
}

TEST(ProxyRecipes, CaddyInFrontOfTheDaemon) {
  ProxyRig rig;
  rig.start_daemon();
  std::string file = recipe("Caddyfile");
  // The test's own global options: no admin endpoint, no ACME, no :80.
  replace(file, "{\n\tservers {", "{\n\tadmin off\n\tauto_https off\n\tstorage file_system " + rig.dir.file("caddy") + "\n\tservers {");
  replace(file, "hooks.example.com {\n", "https://localhost:" + std::to_string(rig.proxy_port) + " {\n\ttls " + rig.cert.cert_file + " " +
                                             rig.cert.key_file + "\n");
  replace(file, "127.0.0.1:8080", "127.0.0.1:" + std::to_string(rig.daemon_port));
  const std::string path = rig.dir.write("Caddyfile", file);
  const std::map<std::string, std::string> env{{"HOME", rig.dir.file("")}, {"XDG_DATA_HOME", rig.dir.file("data")},
                                               {"XDG_CONFIG_HOME", rig.dir.file("config")}};
  auto check = run_program("/usr/bin/caddy", {"validate", "--config", path, "--adapter", "caddyfile"}, env);
  ASSERT_EQ(check.exit_code, 0) << check.out << check.err;
  rig.proxy = std::make_unique<Daemon>(Daemon::Program{"/usr/bin/caddy"}, std::vector<std::string>{"run", "--config", path, "--adapter", "caddyfile"}, env);
  rig.wait_proxy();
  expect_the_recipe_holds(rig);
}

}  // namespace
}  // namespace asc_webhookd::test
