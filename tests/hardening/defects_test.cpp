// The defects hostile testing found, one test each (each failed before its
// fix): durations that overflow a deadline, timestamps outside 64-bit
// nanoseconds, secret references in action strings, unbounded file reads,
// absolute-form targets and upper-case scheme links, enrichment URLs built
// from payload text, silent connections holding every slot, unbounded ids
// and metric labels, forged log lines, a read-only store.
#include "asc_webhookd/integrations/common/action.hpp"
#include "asc_webhookd/apple/access.hpp"
#include "asc_webhookd/config/loader.hpp"
#include "asc_webhookd/enrich/asc_api.hpp"
#include "asc_webhookd/event/event.hpp"
#include "asc_webhookd/ingest/signature.hpp"

#include "support/daemon.hpp"
#include "support/keys.hpp"
#include "support/pipeline.hpp"
#include "support/raw_client.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace asc_webhookd::test {
namespace {

const char* kSecret = "hardening-secret";

std::string config_with(const TempDir& dir, const std::string& server_extra, const std::string& rest = "rules: []\n") {
  return "server:\n  listen: 127.0.0.1:0\n" + server_extra + "store:\n  path: " + dir.file("state.db") +
         "\nwebhooks:\n  - name: app\n    secret: " + kSecret + "\n" + rest;
}

CommandResult check(const std::string& path) { return run_binary({"check-config", "--config", path}); }

TEST(Defects, D1DurationsNearTheMaximumAreAConfigErrorNamingTheLimit) {
  TempDir dir;
  auto r = check(dir.write("c.yaml", config_with(dir, "  header_timeout: 9223372036854ms\n")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("server.header_timeout is at most 366d"), std::string::npos) << r.err;
  EXPECT_EQ(check(dir.write("ok.yaml", config_with(dir, "  header_timeout: 366d\n"))).exit_code, 0);
}

TEST(Defects, D2TimestampsOutsideSixtyFourBitNanosecondsAreRefusedWithTheReason) {
  EXPECT_FALSE(event::parse_rfc3339_nanos("9999-01-01T00:00:00Z"));
  EXPECT_FALSE(event::parse_rfc3339_nanos("1677-01-01T00:00:00Z"));
  ASSERT_TRUE(event::parse_rfc3339_nanos("2261-12-31T23:59:59.999999999Z"));
  EXPECT_GT(*event::parse_rfc3339_nanos("2261-12-31T23:59:59.999999999Z"), 0);
  EXPECT_LT(*event::parse_rfc3339_nanos("1678-01-01T00:00:00Z"), 0);
  auto ev = event::decode_event(R"({"data":{"type":"webhookPingCreated","id":"p","attributes":{"timestamp":"9999-01-01T00:00:00Z"}}})");
  ASSERT_FALSE(ev);
  EXPECT_NE(ev.error().message.find("between the years 1678 and 2261"), std::string::npos) << ev.error().message;
}

TEST(Defects, D3ASecretReferenceInAnActionStringIsAnErrorSayingWhereTheyBelong) {
  TempDir dir;
  auto r = check(dir.write("c.yaml", config_with(dir, "", "rules:\n  - name: r\n    when: { event: buildUploadStateUpdated }\n"
                                                           "    actions:\n      - http: { url: \"https://example.com/x\", "
                                                           "headers: { X-Tok: \"${env:X}\" } }\n")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("rule r: ${env:X} in a http action would be sent as written"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("put it on a connection"), std::string::npos) << r.err;
}

TEST(Defects, D4FileReadsAreBoundedAndADirectoryOrDeepYamlIsNamed) {
  TempDir dir;
  // A device is not read at all (round 2, D4); a regular file past the bound is cut off.
  auto zero = check(dir.write("z.yaml", "webhooks:\n  - name: app\n    secret: \"${file:/dev/zero}\"\nrules: []\n"));
  EXPECT_EQ(zero.exit_code, 1);
  EXPECT_NE(zero.err.find("/dev/zero: it is a character device, not a regular file"), std::string::npos) << zero.err;
  const std::string big = dir.write("big-secret", std::string(64 * 1024 + 1, 'x'));
  auto large = check(dir.write("l.yaml", "webhooks:\n  - name: app\n    secret: \"${file:" + big + "}\"\nrules: []\n"));
  EXPECT_EQ(large.exit_code, 1);
  EXPECT_NE(large.err.find(big + ": it is larger than 64 KiB"), std::string::npos) << large.err;
  std::filesystem::create_directories(dir.file("secret-dir"));
  auto isdir = check(dir.write("d.yaml", "webhooks:\n  - name: app\n    secret: \"${file:" + dir.file("secret-dir") + "}\"\nrules: []\n"));
  EXPECT_NE(isdir.err.find("it is a directory, not a file"), std::string::npos) << isdir.err;
  auto config_dir = check(dir.file("secret-dir"));
  EXPECT_EQ(config_dir.exit_code, 1);
  EXPECT_NE(config_dir.err.find("cannot read the configuration file: it is a directory"), std::string::npos) << config_dir.err;
  auto deep = check(dir.write("deep.yaml", "webhooks: " + std::string(100000, '[') + "\n"));
  EXPECT_EQ(deep.exit_code, 1);
  EXPECT_NE(deep.err.find("the configuration nests deeper than 100 levels"), std::string::npos) << deep.err;
}

TEST(Defects, D5AbsoluteFormTargetsAreServedAndUpperCaseSchemesAccepted) {
  TempDir dir;
  Daemon d({"--config", dir.write("c.yaml", config_with(dir, ""))});
  const auto port = d.wait_listening();
  ASSERT_NE(port, 0) << d.log();
  RawClient c(port);
  const std::string host = "127.0.0.1:" + std::to_string(port);
  ASSERT_TRUE(c.send("GET http://" + host + "/healthz HTTP/1.1\r\nHost: " + host + "\r\n\r\n"));
  EXPECT_EQ(c.read_response()->status, 200);
  const std::string body = fixture_event("events/webhookPingCreated.json", "abs-1");
  ASSERT_TRUE(c.send(make_request("POST", "HTTP://" + host + "/webhooks/app", body,
                                  {{"x-apple-signature", ingest::sign(kSecret, body)}})));
  auto r = c.read_response();
  EXPECT_EQ(r->status, 200) << r->body;
  std::string why;
  EXPECT_EQ(apple::link_at_base("http://fake", "HTTPS://API.APPSTORECONNECT.APPLE.COM/v1/buildUploads/u", why),
            "http://fake/v1/buildUploads/u") << why;
}

TEST(Defects, D6EnrichmentUrlsAreTheDocumentedResourceAndAnEncodedIdNeverThePayloadsPath) {
  const auto key = make_p256_key();
  config::AppStoreConnectConfig cfg;
  cfg.issuer_id = kAscIssuer;
  cfg.key_id = kAscKeyId;
  cfg.private_key = Secret(key.private_pem);
  cfg.base_url = "http://127.0.0.1:9/asc";
  SystemClock clock;
  auto api = enrich::AscApi::create(cfg, clock);
  ASSERT_TRUE(api);
  auto event_with = [](const std::string& type, const std::string& id, const std::string& link) {
    event::Event e;
    e.instance = event::ResourceRef{type, id, link};
    return e;
  };
  std::string why;
  EXPECT_EQ((*api)->instance_url(event_with("buildUploads", "a b#\r\n../x", ""), why),
            "http://127.0.0.1:9/asc/v1/buildUploads/a%20b%23%0D%0A%2E%2E%2Fx?include=build");
  // A link's path and query are never followed: the request is the resource's own.
  EXPECT_EQ((*api)->instance_url(event_with("buildUploads", "u-1", "https://api.appstoreconnect.apple.com/v1/../v1/users?limit=200"), why),
            "http://127.0.0.1:9/asc/v1/buildUploads/u-1?include=build");
  EXPECT_EQ((*api)->instance_url(event_with("users", "u-1", ""), why), "");
  EXPECT_EQ(why, "no lookup for instances of type users");
}

TEST(Defects, D7SilentConnectionsFromOneAddressCannotTakeEverySlot) {
  TempDir dir;
  Daemon d({"--config", dir.write("c.yaml", config_with(dir, "  max_connections: 16\n  trusted_proxies: []\n"))});
  const auto port = d.wait_listening();
  ASSERT_NE(port, 0) << d.log();
  std::vector<int> silent;
  for (int i = 0; i < 8; ++i) silent.push_back(connect_from("127.0.0.2", port));  // its share: max(8, 16/8)
  for (int fd : silent) ASSERT_GE(fd, 0);
  const int ninth = connect_from("127.0.0.2", port);
  EXPECT_NE(exchange_once(ninth, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").find(" 503 "), std::string::npos);
  for (int i = 0; i < 8; ++i) silent.push_back(connect_from("127.0.0.3", port));  // every slot now taken
  const int probe = connect_from("127.0.0.4", port);
  const std::string healthz = exchange_once(probe, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(healthz.find("HTTP/1.1 200"), std::string::npos) << healthz;  // the oldest silent one made room
  for (int fd : silent) ::close(fd);
  ::close(ninth);
  ::close(probe);
}

TEST(Defects, D8IdsAndLabelsAreBoundedAndLogLinesCannotBeForged) {
  TempDir dir;
  Daemon d({"--config", dir.write("c.yaml", config_with(dir, ""))});
  const auto port = d.wait_listening();
  ASSERT_NE(port, 0) << d.log();
  const std::string long_id = R"({"data":{"type":"webhookPingCreated","id":")" + std::string(300, 'x') + R"("}})";
  auto r = post_signed(port, "app", long_id, kSecret);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("data.id is longer than 256 characters"), std::string::npos) << r.body;
  EXPECT_EQ(post_signed(port, "app", R"({"data":{"type":"madeUpType123","id":"m-1"}})", kSecret).status, 200);
  // A newline in an id (JSON allows it) and a forged X-Forwarded-For entry.
  const std::string forged = R"({"data":{"type":"webhookPingCreated","id":"n-1\n2026-01-01T00:00:00.000Z info ingest: forged"}})";
  RawClient c(port);
  ASSERT_TRUE(c.send(make_request("POST", "/webhooks/app", forged,
                                  {{"x-apple-signature", ingest::sign(kSecret, forged)},
                                   {"X-Forwarded-For", "6.6.6.6 method=POST target=/x"}})));
  EXPECT_EQ(c.read_response()->status, 200);
  ASSERT_TRUE(c.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto metrics = c.read_response();
  EXPECT_EQ(metrics->body.find("madeUpType123"), std::string::npos);
  EXPECT_NE(metrics->body.find("type=\"other\""), std::string::npos) << metrics->body;
  ASSERT_TRUE(d.wait_log("id=n-1\\n2026-01-01T00:00:00.000Z info ingest: forged")) << d.log();
  EXPECT_EQ(d.log().find("\n2026-01-01T00:00:00.000Z info ingest: forged"), std::string::npos);
  EXPECT_EQ(d.log().find("remote=6.6.6.6"), std::string::npos);
}

TEST(Defects, D9AStoreOnAReadOnlyMountSaysSoAndWhere) {
  TempDir dir;
  const std::string ro = dir.file("ro");
  std::filesystem::create_directories(ro);
  if (std::system(("unshare -m true 2>/dev/null && unshare -m sh -c 'mount -t tmpfs -o ro tmpfs " + ro + "' 2>/dev/null").c_str()) != 0)
    GTEST_SKIP() << "no mount namespace here (needs root and unshare)";
  std::string cfg = "server:\n  listen: 127.0.0.1:0\nstore:\n  path: " + ro + "/state.db\nwebhooks: [{name: app, secret: s3cret-value}]\nrules: []\n";
  const std::string cfg_path = dir.write("c.yaml", cfg);
  const std::string out = dir.file("out.txt");
  const int rc = std::system(("unshare -m sh -c 'mount -t tmpfs -o ro tmpfs " + ro + " && exec " + ASC_WEBHOOKD_BINARY +
                              " serve --config " + cfg_path + "' > " + out + " 2>&1").c_str());
  EXPECT_EQ(WEXITSTATUS(rc), 3);
  const std::string log = read_file(out);
  EXPECT_NE(log.find("cannot open the store " + ro + "/state.db: " + ro + " is on a read-only file system"), std::string::npos) << log;
}

}  // namespace
}  // namespace asc_webhookd::test

namespace asc_webhookd::test {
namespace {

// Found by fuzz_answers in CI: a JSON:API error whose code is a number made
// the error-message reader throw (out of an attempt's outcome).
TEST(FuzzFindings, AnErrorFieldOfAnotherTypeIsShownNotThrownOn) {
  std::string msg;
  EXPECT_NO_THROW(msg = actions::service_message(R"({"errors":[{"code":404,"title":"Not found","detail":{"x":1}}]})"));
  EXPECT_EQ(msg, "404: Not found {\"x\":1}");
  EXPECT_NO_THROW(actions::service_message(R"({"errors":[7,{"title":null}]})"));
}

}  // namespace
}  // namespace asc_webhookd::test
