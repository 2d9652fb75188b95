// Raw-socket tests of the request framing the server refuses (RFC 9112
// §3.2, §6.1, §6.3): each gets one 400 (or 501) naming the problem and the
// connection is closed, so the bytes behind it never run as a request of
// their own. And input no client may turn into a 500.
#include "asc_webhookd/ingest/signature.hpp"

#include "support/raw_client.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace asc_webhookd::test {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

const std::string kSmuggled = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

class FramingTest : public ::testing::Test {
protected:
  TestServer server{basic_config("  header_timeout: 2s\n  body_timeout: 2s\n")};

  // Sends `bytes`, expects one answer with `status` whose error contains
  // `says`, then the connection closed with nothing more answered.
  void expect_refused(const std::string& bytes, int status, const std::string& says) {
    RawClient c(server.port());
    ASSERT_TRUE(c.send(bytes));
    auto r = c.read_response();
    ASSERT_TRUE(r) << "no answer";
    EXPECT_EQ(r->status, status) << r->body;
    auto body = json::parse(r->body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << r->body;
    EXPECT_NE(body.value("error", "").find(says), std::string::npos) << r->body;
    EXPECT_TRUE(c.wait_closed(5s));
    EXPECT_EQ(c.unread(), "") << "the trailing bytes were answered";
  }

  void expect_still_serving() {
    RawClient c(server.port());
    ASSERT_TRUE(c.send(make_request("GET", "/healthz")));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
};

std::string signed_head(const std::string& framing, const std::string& body = "{}") {
  return "POST /webhooks/app HTTP/1.1\r\nHost: x\r\n" + framing + "x-apple-signature: " + ingest::sign("s3cret", body) +
         "\r\n\r\n";
}

TEST_F(FramingTest, TransferEncodingNotEndingInChunkedIs400AndCloses) {
  for (const std::string te : {"xchunked", "chunked, identity", "gzip", "identity", "chunked;q=1, gzip"}) {
    SCOPED_TRACE(te);
    expect_refused(signed_head("Transfer-Encoding: " + te + "\r\n") + kSmuggled, 400,
                   "Transfer-Encoding must end with chunked");
  }
  // Split over two header lines: the last coding counts (Beast may refuse it first).
  expect_refused(signed_head("Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n") + kSmuggled, 400, "");
  expect_still_serving();
}

TEST_F(FramingTest, AmbiguousOrUnsupportedTransferCodingsAreRefused) {
  expect_refused(signed_head("Transfer-Encoding: chunked, chunked\r\n") + "0\r\n\r\n" + kSmuggled, 400,
                 "more than once");
  expect_refused(signed_head("Transfer-Encoding: gzip, chunked\r\n") + "0\r\n\r\n" + kSmuggled, 501, "gzip");
  expect_refused("POST /webhooks/app HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + kSmuggled,
                 400, "HTTP/1.0");
}

TEST_F(FramingTest, HostIsRequiredOnceInHttp11) {
  expect_refused("GET /healthz HTTP/1.1\r\n\r\n" + kSmuggled, 400, "without a Host header");
  expect_refused("GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" + kSmuggled, 400, "more than one Host");
  expect_refused("GET /healthz HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n" + kSmuggled, 400, "more than one Host");
  // HTTP/1.0 needs none.
  RawClient c(server.port());
  ASSERT_TRUE(c.send("GET /healthz HTTP/1.0\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(FramingTest, Http10NeverGets100Continue) {
  const std::string body = R"({"data":{"type":"webhookPingCreated","id":"http10-continue"}})";
  RawClient c(server.port());
  ASSERT_TRUE(c.send("POST /webhooks/app HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\nx-apple-signature: " + ingest::sign("s3cret", body) + "\r\n\r\n"));
  EXPECT_FALSE(c.read_response(500ms)) << "an answer before the body was sent";
  ASSERT_TRUE(c.send(body));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["id"], "http10-continue");
}

// Apple redelivers on 5xx: a body or path the client controls must get a 4xx.
TEST_F(FramingTest, PoisonInputIsA4xxNamingTheProblemNever500) {
  struct Case {
    const char* what;
    std::string request;
    int status;
    const char* says;
  };
  const std::string bad_utf8 = "{\"data\":{\"type\":\"x\",\"id\":\"a\xff\"}}";
  const std::string huge_number = R"({"data":{"type":"x","id":"n","version":1e999}})";
  auto post = [](const std::string& body) {
    return make_request("POST", "/webhooks/app", body, {{"x-apple-signature", ingest::sign("s3cret", body)}});
  };
  const std::vector<Case> cases = {
      {"0xFF inside a string", post(bad_utf8), 400, "not valid JSON"},
      {"1e999", post(huge_number), 400, "not valid JSON"},
      {"bytes that are not UTF-8 in a webhook name", make_request("POST", "/webhooks/\xff\xfe", "{}"), 404,
       "no webhook named"},
      {"bytes that are not UTF-8 in a path", make_request("GET", "/\xff"), 404, "no route"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    RawClient client(server.port());
    ASSERT_TRUE(client.send(c.request));
    auto r = client.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, c.status) << r->body;
    auto j = json::parse(r->body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r->body;
    EXPECT_NE(j.value("error", "").find(c.says), std::string::npos) << r->body;
  }
  expect_still_serving();
}

}  // namespace
}  // namespace asc_webhookd::test
