#include "support/fake_teams.hpp"

#include <regex>

namespace asc_webhookd::test {

using json = nlohmann::json;

namespace {

FakeResponse flow_error(int status, const std::string& code, const std::string& message) {
  return {status, {{"Content-Type", "application/json"}}, json{{"error", {{"code", code}, {"message", message}}}}.dump(), {}};
}

std::string query_value(const std::string& target, const std::string& key) {
  auto q = target.find('?');
  if (q == std::string::npos) return "";
  const std::string query = target.substr(q + 1);
  std::size_t pos = 0;
  while (pos <= query.size()) {
    auto amp = query.find('&', pos);
    const std::string part = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    if (part.rfind(key + "=", 0) == 0) return part.substr(key.size() + 1);
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  return "";
}

// What the flow's "Post card" step would make of the body.
FakeTeams::Run check_card(const json& body, bool bare) {
  json card;
  if (bare) {
    card = body;
  } else {
    if (body.value("type", "") != "message") return {nullptr, "The `type` field must be `message`"};
    if (!body.contains("attachments") || !body["attachments"].is_array() || body["attachments"].empty())
      return {nullptr, "attachments[0] is missing"};
    const json& a = body["attachments"][0];
    if (a.value("contentType", "") != "application/vnd.microsoft.card.adaptive")
      return {nullptr, "attachments[0].contentType must be application/vnd.microsoft.card.adaptive"};
    card = a.value("content", json());
  }
  if (!card.is_object() || card.value("type", "") != "AdaptiveCard") return {nullptr, "the content is not an AdaptiveCard"};
  const std::string version = card.value("version", "");
  if (version.empty() || std::stod(version) > 1.5) return {nullptr, "Teams renders Adaptive Cards up to version 1.5, not " + version};
  if (!card.contains("body") || !card["body"].is_array()) return {nullptr, "the card has no body"};
  if (body.dump().size() > 28 * 1024) return {nullptr, "Request Entity too large"};
  return {card, ""};
}

}  // namespace

FakeTeams::FakeTeams(std::string sig) : sig_(std::move(sig)), server([this](const FakeRequest& r) { return handle(r); }) {}

std::string FakeTeams::url(const std::string& workflow) const {
  return server.url("/powerautomate/automations/direct/workflows/" + workflow +
                    "/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=" + sig_);
}

std::string FakeTeams::old_host_url(const std::string& workflow) const {
  return server.url("/workflows/" + workflow +
                    "/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=" + sig_);
}

void FakeTeams::expect_bare_card(bool on) {
  std::lock_guard l(mutex_);
  bare_ = on;
}

void FakeTeams::throttle_next(int n) {
  std::lock_guard l(mutex_);
  throttled_ = n;
}

std::vector<FakeTeams::Run> FakeTeams::runs() const {
  std::lock_guard l(mutex_);
  return runs_;
}

FakeResponse FakeTeams::handle(const FakeRequest& r) {
  std::lock_guard l(mutex_);
  static const std::regex path(R"((/powerautomate/automations/direct)?/workflows/[A-Za-z0-9]+/triggers/manual/paths/invoke)");
  const std::string p = r.target.substr(0, r.target.find('?'));
  if (r.method != "POST" || !std::regex_match(p, path)) return flow_error(404, "TriggerNotFound", "The workflow trigger could not be found.");
  if (query_value(r.target, "sp").empty() || query_value(r.target, "sv").empty() || query_value(r.target, "sig").empty())
    return flow_error(401, "DirectApiAuthorizationRequired", "The request must be authenticated only by Shared Access scheme.");
  if (!r.header("authorization").empty())
    return flow_error(400, "DirectApiRequestHasMoreThanOneAuthorization",
                      "The request has SAS authentication scheme, 'HMAC' authorization scheme or internal token scheme. Only one scheme should be used.");
  if (query_value(r.target, "sig") != sig_)
    return flow_error(401, "DirectApiAuthorizationRequired", "The request must be authenticated only by Shared Access scheme.");
  if (throttled_ > 0) {
    --throttled_;
    FakeResponse t = flow_error(429, "WorkflowTriggerIsThrottled", "Rate limit is exceeded. Try again in 2 seconds.");
    t.headers["Retry-After"] = "2";
    return t;
  }
  auto body = json::parse(r.body, nullptr, false);
  if (body.is_discarded()) return flow_error(400, "InvalidRequestContent", "The request content is not valid JSON.");
  runs_.push_back(check_card(body, bare_));
  return {202, {}, "", {}};
}

}  // namespace asc_webhookd::test
