#include "support/fake_asc.hpp"

#include "asc_webhookd/core/jwt.hpp"

#include <algorithm>

namespace asc_webhookd::test {

using nlohmann::json;

namespace {

FakeResponse asc_error(int status, const std::string& code, const std::string& title, const std::string& detail) {
  return {status, {{"Content-Type", "application/json"}},
          json{{"errors", {{{"id", "f4b7c2d1-0000-4000-8000-000000000000"}, {"status", std::to_string(status)}, {"code", code},
                            {"title", title}, {"detail", detail}}}}}.dump(),
          {}};
}

FakeResponse unauthorized(const std::string& why) {
  return asc_error(401, "NOT_AUTHORIZED", "Authentication credentials are missing or invalid.",
                   "Provide a properly configured and signed bearer token, and make sure that it has not expired. (" + why + ")");
}

}  // namespace

FakeAsc::FakeAsc(std::string public_pem, std::string key_id, std::optional<std::string> issuer)
    : public_pem_(std::move(public_pem)), key_id_(std::move(key_id)), issuer_(std::move(issuer)),
      server([this](const FakeRequest& r) { return handle(r); }) {}

FakeResponse FakeAsc::error(int status, const std::string& code, const std::string& title, const std::string& detail) {
  return asc_error(status, code, title, detail);
}

void FakeAsc::add_route(Route route) {
  std::lock_guard l(mutex_);
  routes_.push_back(std::move(route));
}

void FakeAsc::serve(const std::string& path, json body) {
  std::lock_guard l(mutex_);
  resources_[path] = std::move(body);
}
void FakeAsc::set_clock_offset(std::chrono::milliseconds offset) {
  std::lock_guard l(mutex_);
  offset_ = offset;
}
std::vector<std::string> FakeAsc::tokens() const {
  std::lock_guard l(mutex_);
  return tokens_;
}
std::vector<json> FakeAsc::claims() const {
  std::lock_guard l(mutex_);
  return claims_;
}
std::vector<std::string> FakeAsc::gets() const {
  std::lock_guard l(mutex_);
  return gets_;
}

FakeResponse FakeAsc::handle(const FakeRequest& r) {
  std::unique_lock l(mutex_);
  const std::string auth = r.header("authorization");
  if (auth.rfind("Bearer ", 0) != 0) return unauthorized("no bearer token");
  const std::string token = auth.substr(7);
  auto decoded = jwt::verify(token, public_pem_, jwt::Algorithm::es256);
  if (!decoded) return unauthorized(decoded.error().message);
  const json& h = decoded->header;
  const json& c = decoded->claims;
  if (h.value("alg", "") != "ES256") return unauthorized("alg must be ES256");
  if (h.value("kid", "") != key_id_) return unauthorized("unknown kid");
  if (h.value("typ", "") != "JWT") return unauthorized("typ must be JWT");
  if (c.value("aud", "") != "appstoreconnect-v1") return unauthorized("aud must be appstoreconnect-v1");
  if (issuer_) {
    if (c.value("iss", "") != *issuer_) return unauthorized("iss is not the key's issuer");
  } else if (c.value("sub", "") != "user" || c.contains("iss")) {
    return unauthorized("an individual key needs sub: user and no iss");
  }
  if (!c.contains("iat") || !c.contains("exp") || !c["iat"].is_number_integer() || !c["exp"].is_number_integer())
    return unauthorized("iat and exp must be integers");
  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch() + offset_).count();
  const std::int64_t iat = c["iat"], exp = c["exp"];
  if (exp - iat > 20 * 60) return unauthorized("lifetime over 20 minutes");
  if (exp <= now) return unauthorized("expired");
  if (iat > now + 60) return unauthorized("issued in the future");
  if (std::find(tokens_.begin(), tokens_.end(), token) == tokens_.end()) {
    tokens_.push_back(token);
    claims_.push_back(c);
  }
  const std::string path = r.target.substr(0, r.target.find('?'));
  std::map<std::string, std::string> headers{{"Content-Type", "application/json"},
                                             {"X-Rate-Limit", "user-hour-lim:3600;user-hour-rem:" + std::to_string(--remaining_) + ";"}};
  const std::string local = path.rfind("/asc", 0) == 0 ? path.substr(4) : path;
  // The routes run unlocked: one may keep a request waiting (Apple slow
  // mid-pass) while the fake answers others.
  const auto routes = routes_;
  l.unlock();
  for (const auto& route : routes)
    if (auto res = route(r, local)) {
      res->headers.insert(headers.begin(), headers.end());
      return *res;
    }
  l.lock();
  if (r.method != "GET") return asc_error(405, "METHOD_NOT_ALLOWED", "The request method is not allowed", r.method);
  gets_.push_back(r.target);
  auto it = path.rfind("/asc", 0) == 0 ? resources_.find(path.substr(4)) : resources_.end();
  if (it == resources_.end()) {
    auto res = asc_error(404, "NOT_FOUND", "The specified resource does not exist",
                         "The path provided does not match a defined resource type.");
    res.headers.insert(headers.begin(), headers.end());
    return res;
  }
  return {200, headers, it->second.dump(), {}};
}

}  // namespace asc_webhookd::test
