// TLS termination with a test CA: the server's certificate chain verifies
// against that CA (and only that CA), and events are accepted over HTTPS.
#include "asc_webhookd/outbound/client.hpp"
#include "asc_webhookd/ingest/signature.hpp"

#include "support/test_ca.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>

namespace asc_webhookd::test {
namespace {

// OpenSSL reads SSL_CERT_FILE when a client loads the default verify paths.
class ScopedCaFile {
public:
  explicit ScopedCaFile(const std::string& path) {
    if (const char* old = std::getenv("SSL_CERT_FILE")) old_ = old;
    ::setenv("SSL_CERT_FILE", path.c_str(), 1);
  }
  ~ScopedCaFile() {
    if (old_) ::setenv("SSL_CERT_FILE", old_->c_str(), 1);
    else ::unsetenv("SSL_CERT_FILE");
  }

private:
  std::optional<std::string> old_;
};

class TlsTest : public ::testing::Test {
protected:
  TestCa ca;
  TestCa::Issued cert = ca.issue("localhost");
  TestServer server{basic_config("  tls:\n    cert_file: " + cert.cert_file + "\n    key_file: " + cert.key_file + "\n")};
  std::string url(const std::string& path) { return "https://localhost:" + std::to_string(server.port()) + path; }
};

TEST_F(TlsTest, HealthzOverHttpsVerifiesAgainstTheTestCa) {
  ScopedCaFile trust(ca.ca_file());
  auto r = outbound::fetch_blocking({"GET", url("/healthz"), {}, "", std::chrono::seconds(10)});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200u);
  EXPECT_EQ(nlohmann::json::parse(r->body)["status"], "ok");
}

TEST_F(TlsTest, SignedEventOverHttps) {
  ScopedCaFile trust(ca.ca_file());
  std::string body = R"({"data":{"type":"webhookPingCreated","id":"tls-1","version":1}})";
  outbound::ClientRequest req{"POST", url("/webhooks/app"), {{"x-apple-signature", ingest::sign("s3cret", body)}}, body,
                          std::chrono::seconds(10)};
  auto r = outbound::fetch_blocking(req);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200u);
  EXPECT_EQ(nlohmann::json::parse(r->body)["id"], "tls-1");
}

TEST_F(TlsTest, ClientThatDoesNotTrustTheCaRefuses) {
  TestCa other;
  ScopedCaFile trust(other.ca_file());
  auto r = outbound::fetch_blocking({"GET", url("/healthz"), {}, "", std::chrono::seconds(10)});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("TLS handshake"), std::string::npos) << r.error().message;
}

TEST_F(TlsTest, PlainHttpToTheTlsPortGetsNoAnswer) {
  auto r = outbound::fetch_blocking({"GET", "http://127.0.0.1:" + std::to_string(server.port()) + "/healthz", {}, "",
                                 std::chrono::seconds(5)});
  EXPECT_FALSE(r);
}

TEST(TlsConfig, UnloadableCertificateFailsAtStart) {
  TempDir dir;
  auto junk = dir.write("junk.pem", "not a certificate");
  EXPECT_THROW(TestServer(basic_config("  tls:\n    cert_file: " + junk + "\n    key_file: " + junk + "\n")),
               std::runtime_error);
}

}  // namespace
}  // namespace asc_webhookd::test
