#pragma once
// A fake App Store Connect API (its documented answers) under a path prefix
// (/asc, as a proxy would add): every request must carry a JWT that
// verifies exactly as Apple documents — ES256 with R‖S signature against the
// key's public half, header kid and typ, aud appstoreconnect-v1, iss (team
// key) or sub "user" without iss (individual key), a lifetime of at most 20
// minutes, not expired. Serves registered resources, 404 otherwise, with
// Apple's error bodies and an X-Rate-Limit header that counts down. Canned
// answers pushed on `server` come first (429, 5xx).
#include "support/fake_http.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace asc_webhookd::test {

class FakeAsc {
public:
  // `issuer` absent: an individual key.
  FakeAsc(std::string public_pem, std::string key_id, std::optional<std::string> issuer);

  std::string base_url() const { return server.url("/asc"); }
  // Answers GET /asc{path} (query ignored) with 200 and `body`.
  void serve(const std::string& path, nlohmann::json body);
  // The fake's "now" is the real time plus this (tests with a manual clock).
  void set_clock_offset(std::chrono::milliseconds offset);
  // Every distinct token that was accepted, in order, and their claims.
  std::vector<std::string> tokens() const;
  std::vector<nlohmann::json> claims() const;
  // Accepted GETs (target with query).
  std::vector<std::string> gets() const;
  // Another resource model (FakeAppleWebhooks) answers the requests it
  // knows, after the token checked out; `path` is without /asc and query.
  using Route = std::function<std::optional<FakeResponse>(const FakeRequest&, const std::string& path)>;
  void add_route(Route route);
  // One of Apple's JSON:API error answers.
  static FakeResponse error(int status, const std::string& code, const std::string& title, const std::string& detail);

private:
  FakeResponse handle(const FakeRequest& r);

  std::string public_pem_;
  std::string key_id_;
  std::optional<std::string> issuer_;
  mutable std::mutex mutex_;
  std::map<std::string, nlohmann::json> resources_;
  std::chrono::milliseconds offset_{0};
  std::vector<std::string> tokens_;
  std::vector<nlohmann::json> claims_;
  std::vector<std::string> gets_;
  int remaining_ = 3600;
  std::vector<Route> routes_;

public:
  FakeHttpServer server;  // last: stopped before the state its handler uses goes
};

}  // namespace asc_webhookd::test
