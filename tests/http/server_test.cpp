// The real Server + Router over real sockets: every answer of docs/http.md
// that this slice owns, limits, keep-alive, pipelining and chunked bodies.
#include "asc_webhookd/ingest/signature.hpp"

#include "support/log_capture.hpp"
#include "support/raw_client.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <thread>

namespace asc_webhookd::test {
namespace {

using json = nlohmann::json;

std::string ping_body(const std::string& id = "01234567-abcd-8901-dcba-987654321012") {
  return R"({"data":{"type":"webhookPingCreated","id":")" + id +
         R"(","version":1,"attributes":{"timestamp":"2025-06-09T10:09:30.123456789Z"}}})";
}

std::string signed_post(const std::string& body, const std::string& secret = "s3cret", bool keep_alive = true,
                        const std::string& target = "/webhooks/app") {
  return make_request("POST", target, body, {{"x-apple-signature", ingest::sign(secret, body)}}, keep_alive);
}

RawResponse roundtrip(std::uint16_t port, const std::string& request) {
  RawClient c(port);
  EXPECT_TRUE(c.connected());
  EXPECT_TRUE(c.send(request));
  auto r = c.read_response();
  EXPECT_TRUE(r.has_value());
  return r.value_or(RawResponse{});
}

class ServerTest : public ::testing::Test {
protected:
  TestServer server{basic_config("  max_body: 4KiB\n  header_timeout: 500ms\n  body_timeout: 2s\n")};
};

TEST_F(ServerTest, HealthAndReadiness) {
  auto r = roundtrip(server.port(), make_request("GET", "/healthz"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body), json({{"status", "ok"}}));
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.header("x-request-id").size(), 16u);
  auto ready = roundtrip(server.port(), make_request("GET", "/readyz"));
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(json::parse(ready.body)["status"], "ready");
}

TEST_F(ServerTest, ValidEventIsAccepted) {
  auto r = roundtrip(server.port(), signed_post(ping_body()));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body), json({{"status", "accepted"}, {"id", "01234567-abcd-8901-dcba-987654321012"}, {"jobs", 0}}));
}

TEST_F(ServerTest, EveryFixtureIsAccepted) {
  for (const char* f : {"events/appStoreVersionAppVersionStateUpdated.json", "events/buildUploadStateUpdated.json",
                        "events/backgroundAssetVersionStateUpdated.json",
                        "events/alternativeDistributionTerritoryAvailabilityUpdated.json"}) {
    auto body = fixture(f);
    auto r = roundtrip(server.port(), signed_post(body));
    EXPECT_EQ(r.status, 200) << f << " " << r.body;
    EXPECT_EQ(json::parse(r.body)["id"], json::parse(body)["data"]["id"]);
  }
}

TEST_F(ServerTest, MissingOrWrongSignatureIs401) {
  auto missing = roundtrip(server.port(), make_request("POST", "/webhooks/app", ping_body()));
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(json::parse(missing.body), json({{"error", "invalid signature"}}));
  auto wrong = roundtrip(server.port(), signed_post(ping_body(), "not-the-secret"));
  EXPECT_EQ(wrong.status, 401);
  // A signature over other bytes: checked on the exact raw body.
  auto body = ping_body();
  auto tampered = make_request("POST", "/webhooks/app", body + " ", {{"x-apple-signature", ingest::sign("s3cret", body)}});
  EXPECT_EQ(roundtrip(server.port(), tampered).status, 401);
}

TEST_F(ServerTest, SignatureIsCheckedBeforeTheBodyIsParsed) {
  // Garbage with a wrong signature is 401, not 400: nothing is parsed first.
  auto r = roundtrip(server.port(), make_request("POST", "/webhooks/app", "not json", {{"x-apple-signature", "hmacsha256=00"}}));
  EXPECT_EQ(r.status, 401);
}

TEST_F(ServerTest, PreviousSecretIsAcceptedDuringRotation) {
  EXPECT_EQ(roundtrip(server.port(), signed_post(ping_body(), "old-secret")).status, 200);
  EXPECT_EQ(roundtrip(server.port(), signed_post(ping_body(), "s3cret")).status, 200);
  EXPECT_EQ(roundtrip(server.port(), signed_post(ping_body(), "older-secret")).status, 401);
}

TEST_F(ServerTest, UnknownWebhookAndRouteAre404) {
  auto r = roundtrip(server.port(), signed_post(ping_body(), "s3cret", true, "/webhooks/android"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(json::parse(r.body)["error"], "no webhook named \"android\"");
  EXPECT_EQ(roundtrip(server.port(), make_request("GET", "/nothing-here")).status, 404);
  EXPECT_EQ(roundtrip(server.port(), make_request("GET", "/api/events")).status, 404);  // no admin_token
}

TEST_F(ServerTest, WrongMethodIs405WithAllow) {
  auto r = roundtrip(server.port(), make_request("GET", "/webhooks/app"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("allow"), "POST");
  auto put = roundtrip(server.port(), make_request("PUT", "/webhooks/app", "{}"));
  EXPECT_EQ(put.status, 405);
  auto h = roundtrip(server.port(), make_request("POST", "/healthz", "{}"));
  EXPECT_EQ(h.status, 405);
  EXPECT_EQ(h.header("allow"), "GET");
}

TEST_F(ServerTest, BadBodiesAre400NamingTheProblem) {
  struct Case {
    std::string body, says;
  } cases[] = {{"not json", "not valid JSON"},
               {"{}", "no \"data\" object"},
               {R"({"data":{"id":"x"}})", "data.type"},
               {R"({"data":{"type":"webhookPingCreated"}})", "data.id"}};
  for (const auto& c : cases) {
    auto r = roundtrip(server.port(), signed_post(c.body));
    EXPECT_EQ(r.status, 400) << c.body;
    EXPECT_NE(json::parse(r.body)["error"].get<std::string>().find(c.says), std::string::npos) << r.body;
  }
}

TEST_F(ServerTest, OversizedBodyIs413WithoutReadingIt) {
  RawClient c(server.port());
  // Only the headers: the answer must come without the server waiting for
  // (or buffering) the 10 MB it was promised.
  ASSERT_TRUE(c.send("POST /webhooks/app HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_NE(json::parse(r->body)["error"].get<std::string>().find("max_body"), std::string::npos);
  EXPECT_TRUE(c.wait_closed());
}

TEST_F(ServerTest, OversizedChunkedBodyIs413) {
  RawClient c(server.port());
  std::string chunk(3000, 'x');
  std::string req = "POST /webhooks/app HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) req += "bb8\r\n" + chunk + "\r\n";
  ASSERT_TRUE(c.send(req));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_TRUE(c.wait_closed());
}

TEST_F(ServerTest, ChunkedBodyIsAccepted) {
  auto body = ping_body("chunked-1");
  std::string req = "POST /webhooks/app HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nx-apple-signature: " +
                    ingest::sign("s3cret", body) + "\r\n\r\n";
  auto half = body.size() / 2;
  auto hex = [](std::size_t n) {
    char b[32];
    std::snprintf(b, sizeof b, "%zx", n);
    return std::string(b);
  };
  req += hex(half) + "\r\n" + body.substr(0, half) + "\r\n";
  req += hex(body.size() - half) + "\r\n" + body.substr(half) + "\r\n0\r\n\r\n";
  auto r = roundtrip(server.port(), req);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["id"], "chunked-1");
}

TEST_F(ServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  RawClient c(server.port());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(c.send(signed_post(ping_body("ka-" + std::to_string(i)))));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(json::parse(r->body)["id"], "ka-" + std::to_string(i));
  }
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  RawClient c(server.port());
  std::string batch = signed_post(ping_body("p-0")) + make_request("GET", "/healthz") + signed_post(ping_body("p-2")) +
                      make_request("POST", "/webhooks/app", ping_body("p-3"));
  ASSERT_TRUE(c.send(batch));
  auto r0 = c.read_response(), r1 = c.read_response(), r2 = c.read_response(), r3 = c.read_response();
  ASSERT_TRUE(r0 && r1 && r2 && r3);
  EXPECT_EQ(json::parse(r0->body)["id"], "p-0");
  EXPECT_EQ(json::parse(r1->body)["status"], "ok");
  EXPECT_EQ(json::parse(r2->body)["id"], "p-2");
  EXPECT_EQ(r3->status, 401);
}

TEST_F(ServerTest, ExpectContinueGets100First) {
  RawClient c(server.port());
  auto body = ping_body("continue-1");
  ASSERT_TRUE(c.send("POST /webhooks/app HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\nx-apple-signature: " + ingest::sign("s3cret", body) + "\r\n\r\n"));
  auto cont = c.read_response();
  ASSERT_TRUE(cont);
  EXPECT_EQ(cont->status, 100);
  ASSERT_TRUE(c.send(body));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(ServerTest, MalformedRequestIs400) {
  auto r = roundtrip(server.port(), "THIS IS NOT HTTP\r\n\r\n");
  EXPECT_EQ(r.status, 400);
}

TEST_F(ServerTest, SlowHeaderClientIsCutOffWhileOthersAreServed) {
  RawClient slow(server.port());
  ASSERT_TRUE(slow.send("POST /webhooks/app HTTP/1.1\r\n"));
  // Trickle one header byte every 100 ms: never idle for long, never done.
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    for (int i = 0; i < 100 && !stop; ++i) {
      if (!slow.send("X")) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  for (int i = 0; i < 3; ++i) EXPECT_EQ(roundtrip(server.port(), make_request("GET", "/healthz")).status, 200);
  auto r = slow.read_response(std::chrono::seconds(8));
  stop = true;
  trickle.join();
  ASSERT_TRUE(r) << "the slow client was not cut off";
  EXPECT_EQ(r->status, 408);
  EXPECT_EQ(roundtrip(server.port(), make_request("GET", "/healthz")).status, 200);
}

TEST_F(ServerTest, SilentConnectionIsClosedAfterHeaderTimeout) {
  RawClient idle(server.port());
  EXPECT_TRUE(idle.wait_closed(std::chrono::seconds(8)));
}

TEST(ServerLimits, AtMaxConnectionsTheOldestIdleOneMakesRoom) {
  TestServer server(basic_config("  max_connections: 2\n"));
  RawClient a(server.port()), b(server.port());
  for (auto* c : {&a, &b}) {
    ASSERT_TRUE(c->send(make_request("GET", "/healthz")));
    ASSERT_TRUE(c->read_response());
  }
  // Both idle (kept alive): the oldest is closed, the new one served.
  RawClient third(server.port());
  ASSERT_TRUE(third.send(make_request("GET", "/healthz")));
  auto r = third.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(a.wait_closed());
}

TEST(ServerLimits, BeyondMaxConnectionsAndTheReserveA503) {
  TestServer server(basic_config("  max_connections: 2\n"));
  // Connections in the middle of a request are not idle: they are not shed,
  // and beyond max and its reserve (4 at least) a new one gets 503.
  RawClient c1(server.port()), c2(server.port());
  ASSERT_TRUE(c1.send("GET /healthz HTTP/1.1\r\nHo"));
  ASSERT_TRUE(c2.send("GET /healthz HTTP/1.1\r\nHo"));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // a wait for the server to read them, not a measurement
  std::vector<std::unique_ptr<RawClient>> reserve;
  for (int i = 0; i < 4; ++i) {  // the reserve slots
    reserve.push_back(std::make_unique<RawClient>(server.port()));
    ASSERT_TRUE(reserve.back()->send(make_request("GET", "/healthz")));
    EXPECT_EQ(reserve.back()->read_response()->status, 200);
  }
  RawClient late(server.port());
  ASSERT_TRUE(late.send(make_request("GET", "/healthz")));
  auto refused = late.read_response();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_NE(refused->body.find("max_connections"), std::string::npos);
}

TEST(ServerListen, SeveralAddressesIncludingIpv6) {
  if (read_file("/proc/net/if_inet6").find("00000000000000000000000000000001") == std::string::npos)
    GTEST_SKIP() << "no IPv6 loopback on this machine";
  TestServer server("server:\n  listen: [\"127.0.0.1:0\", \"[::1]:0\"]\nwebhooks: [{name: app, secret: s3cret}]\nrules: []\n");
  RawClient v4(server.port(0), "127.0.0.1");
  RawClient v6(server.port(1), "::1");
  for (auto* c : {&v4, &v6}) {
    ASSERT_TRUE(c->connected());
    ASSERT_TRUE(c->send(signed_post(ping_body())));
    auto r = c->read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
}

TEST(ServerLogs, ForwardedForIsHonouredOnlyFromTrustedProxies) {
  LogCapture cap(spdlog::level::info);
  {
    TestServer trusting(basic_config());
    roundtrip(trusting.port(), make_request("GET", "/healthz", "", {{"X-Forwarded-For", "198.51.100.1, 203.0.113.7"}}));
    TestServer strict(basic_config("  trusted_proxies: [10.0.0.0/8]\n"));
    roundtrip(strict.port(), make_request("GET", "/healthz", "", {{"X-Forwarded-For", "203.0.113.9"}}));
  }
  auto text = cap.text();
  EXPECT_NE(text.find("remote=203.0.113.7 method=GET"), std::string::npos) << text;
  EXPECT_EQ(text.find("remote=203.0.113.9"), std::string::npos) << text;
}

TEST(ServerLogs, SecretsNeverReachTheLogEvenAtTrace) {
  LogCapture cap(spdlog::level::trace);
  {
    TestServer server(basic_config());
    roundtrip(server.port(), signed_post(ping_body()));
    roundtrip(server.port(), signed_post(ping_body(), "old-secret"));
    roundtrip(server.port(), signed_post(ping_body(), "wrong"));
    roundtrip(server.port(), signed_post("{}"));
  }
  auto text = cap.text();
  EXPECT_NE(text.find("event webhook=app type=webhookPingCreated"), std::string::npos) << text;
  EXPECT_NE(text.find("outcome=invalid_signature"), std::string::npos) << text;
  EXPECT_EQ(text.find("s3cret"), std::string::npos) << text;
  EXPECT_EQ(text.find("old-secret"), std::string::npos) << text;
}

}  // namespace
}  // namespace asc_webhookd::test
