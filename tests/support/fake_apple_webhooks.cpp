#include "support/fake_apple_webhooks.hpp"

#include "asc_webhookd/apple/resources.hpp"
#include "asc_webhookd/event/event.hpp"
#include "asc_webhookd/ingest/signature.hpp"
#include "support/fake_asc_documents.hpp"
#include "support/raw_client.hpp"

#include <algorithm>
#include <chrono>
#include <map>

namespace asc_webhookd::test {

using nlohmann::json;

namespace {

using asc_documents::answer;
using asc_documents::bracket_encoded;
using asc_documents::kAppleHost;
using asc_documents::now_ms;
using asc_documents::parse_query;

FakeResponse bad_parameter(const std::string& detail) {
  return FakeAsc::error(400, "PARAMETER_ERROR.INVALID", "A parameter has an invalid value", detail);
}

}  // namespace

FakeAppleWebhooks::FakeAppleWebhooks(FakeAsc& asc) {
  asc.add_route([this](const FakeRequest& r, const std::string& path) { return route(r, path); });
}

FakeAppleWebhooks::~FakeAppleWebhooks() {
  {  // a held listing finishes before the fake's members go
    std::unique_lock l(mutex_);
    released_ = true;
    held_changed_.notify_all();
    held_changed_.wait(l, [this] { return !holding_; });
  }
  for (auto& t : senders_)
    if (t.joinable()) t.join();
}

void FakeAppleWebhooks::add_app(const std::string& app_id) {
  std::lock_guard l(mutex_);
  apps_.push_back(app_id);
}

std::string FakeAppleWebhooks::add_hook(const std::string& app_id, const std::string& url, const std::string& secret) {
  std::lock_guard l(mutex_);
  Hook h{"wh-" + std::to_string(next_id_++), app_id, "made in the UI", url, secret, true, apple::subscription_types()};
  hooks_.push_back(h);
  return h.id;
}

void FakeAppleWebhooks::set_page_size(std::size_t n) {
  std::lock_guard l(mutex_);
  page_size_ = n;
}

void FakeAppleWebhooks::set_enabled(const std::string& webhook_id, bool enabled) {
  std::lock_guard l(mutex_);
  for (auto& h : hooks_)
    if (h.id == webhook_id) h.enabled = enabled;
}

void FakeAppleWebhooks::set_url(const std::string& webhook_id, const std::string& url) {
  std::lock_guard l(mutex_);
  for (auto& h : hooks_)
    if (h.id == webhook_id) h.url = url;
}

void FakeAppleWebhooks::set_event_types(const std::string& webhook_id, std::vector<std::string> types) {
  std::lock_guard l(mutex_);
  for (auto& h : hooks_)
    if (h.id == webhook_id) h.event_types = types;
}

void FakeAppleWebhooks::delete_hook(const std::string& webhook_id) {
  std::lock_guard l(mutex_);
  hooks_.erase(std::remove_if(hooks_.begin(), hooks_.end(), [&](const Hook& h) { return h.id == webhook_id; }),
               hooks_.end());
}

void FakeAppleWebhooks::fail_next_webhook_read(FakeResponse r) {
  std::lock_guard l(mutex_);
  read_failures_.push_back(std::move(r));
}

std::size_t FakeAppleWebhooks::webhook_reads() const {
  std::lock_guard l(mutex_);
  return webhook_reads_;
}

void FakeAppleWebhooks::fail_next_listing(FakeResponse r) {
  std::lock_guard l(mutex_);
  listing_failures_.push_back(std::move(r));
}

void FakeAppleWebhooks::hold_listing_at(std::size_t cursor) {
  std::lock_guard l(mutex_);
  hold_cursor_ = cursor;
  released_ = false;
}

bool FakeAppleWebhooks::wait_held(std::chrono::milliseconds timeout) {
  std::unique_lock l(mutex_);
  return held_changed_.wait_for(l, timeout, [this] { return holding_; });
}

void FakeAppleWebhooks::release_listing() {
  std::lock_guard l(mutex_);
  released_ = true;
  held_changed_.notify_all();
}

std::vector<FakeAppleWebhooks::Hook> FakeAppleWebhooks::hooks() const {
  std::lock_guard l(mutex_);
  return hooks_;
}
std::vector<FakeAppleWebhooks::Delivery> FakeAppleWebhooks::deliveries() const {
  std::lock_guard l(mutex_);
  return deliveries_;
}
std::vector<std::string> FakeAppleWebhooks::listing_queries() const {
  std::lock_guard l(mutex_);
  return listing_queries_;
}
std::size_t FakeAppleWebhooks::pings() const {
  std::lock_guard l(mutex_);
  return pings_;
}

// POSTs the payload, signed, to the hook's URL (http://127.0.0.1:PORT/...).
FakeAppleWebhooks::Delivery FakeAppleWebhooks::send(const Hook& h, const std::string& payload, bool ping) {
  Delivery d;
  d.webhook_id = h.id;
  d.payload = payload;
  d.ping = ping;
  d.created_ms = now_ms();
  auto body = json::parse(payload, nullptr, false);
  const std::string type = body.is_object() ? body["data"].value("type", "") : "";
  if (const auto* info = event::find_event_type(type); info && !ping) d.event_type = std::string(info->subscription);
  const std::string prefix = "http://127.0.0.1:";
  if (h.url.rfind(prefix, 0) != 0) {
    d.state = "FAILED";
    d.error = "the fake delivers to http://127.0.0.1 only";
    return d;
  }
  const std::string rest = h.url.substr(prefix.size());
  const auto slash = rest.find('/');
  const auto port = static_cast<std::uint16_t>(std::stoi(rest.substr(0, slash)));
  RawClient c(port);
  if (!c.connected() ||
      !c.send(make_request("POST", rest.substr(slash), payload,
                           {{"Content-Type", "application/json"}, {"x-apple-signature", ingest::sign(h.secret, payload)}},
                           false))) {
    d.state = "FAILED";
    d.error = "Failed to connect to the webhook URL";
    return d;
  }
  auto res = c.read_response();
  if (!res) {
    d.state = "FAILED";
    d.error = "The webhook URL did not answer";
    return d;
  }
  d.http_status = res->status;
  d.state = res->status >= 200 && res->status < 300 ? "SUCCEEDED" : "FAILED";
  if (d.state == "FAILED") d.error = "The webhook URL answered " + std::to_string(res->status);
  return d;
}

std::string FakeAppleWebhooks::deliver(const std::string& webhook_id, const std::string& payload, bool ping) {
  Hook h;
  {
    std::lock_guard l(mutex_);
    auto it = std::find_if(hooks_.begin(), hooks_.end(), [&](const Hook& x) { return x.id == webhook_id; });
    if (it == hooks_.end()) return "";
    h = *it;
  }
  Delivery d = send(h, payload, ping);
  std::lock_guard l(mutex_);
  d.id = "dl-" + std::to_string(next_id_++);
  deliveries_.push_back(d);
  return d.id;
}

void FakeAppleWebhooks::log_pending(const std::string& webhook_id, const std::string& payload, std::int64_t age_ms) {
  std::lock_guard l(mutex_);
  Delivery d;
  d.id = "dl-" + std::to_string(next_id_++);
  d.webhook_id = webhook_id;
  d.state = "PENDING";
  d.payload = payload;
  d.created_ms = now_ms() - age_ms;
  auto body = json::parse(payload, nullptr, false);
  if (const auto* info = event::find_event_type(body.is_object() ? body["data"].value("type", "") : ""))
    d.event_type = std::string(info->subscription);
  deliveries_.push_back(d);
}

json FakeAppleWebhooks::hook_json(const Hook& h) const {
  return {{"type", "webhooks"},
          {"id", h.id},
          {"attributes", {{"enabled", h.enabled}, {"eventTypes", h.event_types}, {"name", h.name}, {"url", h.url}}},
          {"relationships", {{"app", {{"data", {{"type", "apps"}, {"id", h.app_id}}}}}}},
          {"links", {{"self", std::string(kAppleHost) + "/v1/webhooks/" + h.id}}}};
}

std::optional<FakeResponse> FakeAppleWebhooks::route(const FakeRequest& r, const std::string& path) {
  const std::string query = r.target.find('?') == std::string::npos ? "" : r.target.substr(r.target.find('?') + 1);
  std::unique_lock l(mutex_);
  auto find_hook = [&](const std::string& id) {
    return std::find_if(hooks_.begin(), hooks_.end(), [&](const Hook& h) { return h.id == id; });
  };
  const std::string hooks_prefix = "/v1/webhooks/";
  if (r.method == "POST" && path == "/v1/webhooks") {
    auto body = json::parse(r.body, nullptr, false);
    const json& data = body.is_object() && body.contains("data") ? body["data"] : json();
    const json attrs = data.is_object() ? data.value("attributes", json::object()) : json::object();
    for (const char* k : {"name", "secret", "eventTypes", "url", "enabled"})
      if (!attrs.contains(k))
        return FakeAsc::error(409, "ENTITY_ERROR.ATTRIBUTE.REQUIRED", "You must provide a value for the attribute '" + std::string(k) + "' with this request", "");
    const std::string app = data.is_object() ? data.value("/relationships/app/data/id"_json_pointer, std::string()) : "";
    if (std::find(apps_.begin(), apps_.end(), app) == apps_.end())
      return FakeAsc::error(404, "NOT_FOUND", "The specified resource does not exist", "There is no resource of type 'apps' with id '" + app + "'");
    const auto types = apple::subscription_types();
    for (const auto& t : attrs["eventTypes"])
      if (!t.is_string() || std::find(types.begin(), types.end(), t.get<std::string>()) == types.end())
        return FakeAsc::error(409, "ENTITY_ERROR.ATTRIBUTE.INVALID", "An attribute value is invalid.", "'" + t.dump() + "' is not a valid value for 'eventTypes'");
    if (std::count_if(hooks_.begin(), hooks_.end(), [&](const Hook& h) { return h.app_id == app; }) >= 10)
      return FakeAsc::error(409, "ENTITY_ERROR", "The request entity is not valid.", "You can create up to ten webhooks per app.");
    Hook h{"wh-" + std::to_string(next_id_++), app, attrs["name"], attrs["url"], attrs["secret"], attrs["enabled"],
           attrs["eventTypes"].get<std::vector<std::string>>()};
    hooks_.push_back(h);
    return answer(201, {{"data", hook_json(h)}});
  }
  if (r.method == "GET" && path.rfind("/v1/apps/", 0) == 0 && path.size() > 18 && path.substr(path.size() - 9) == "/webhooks") {
    const std::string app = path.substr(9, path.size() - 18);
    if (std::find(apps_.begin(), apps_.end(), app) == apps_.end())
      return FakeAsc::error(404, "NOT_FOUND", "The specified resource does not exist", "There is no resource of type 'apps' with id '" + app + "'");
    json data = json::array();
    for (const auto& h : hooks_)
      if (h.app_id == app) data.push_back(hook_json(h));
    return answer(200, {{"data", data}, {"links", {{"self", std::string(kAppleHost) + path}}}, {"meta", {{"paging", {{"total", data.size()}, {"limit", 200}}}}}});
  }
  if (r.method == "POST" && path == "/v1/webhookPings") {
    auto body = json::parse(r.body, nullptr, false);
    const std::string id = body.is_object() ? body.value("/data/relationships/webhook/data/id"_json_pointer, std::string()) : "";
    auto it = find_hook(id);
    if (it == hooks_.end()) return FakeAsc::error(404, "NOT_FOUND", "The specified resource does not exist", "There is no resource of type 'webhooks' with id '" + id + "'");
    ++pings_;
    const std::string ping_id = "ping-" + std::to_string(next_id_++);
    // Apple delivers the ping a moment after answering.
    std::string payload = json{{"data", {{"type", "webhookPingCreated"}, {"id", ping_id + "-event"}, {"version", 1},
                                         {"attributes", {{"timestamp", apple::apple_time(now_ms())}}}}}}.dump();
    senders_.emplace_back([this, id, payload] {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      deliver(id, payload, true);
    });
    return answer(201, {{"data", {{"type", "webhookPings"}, {"id", ping_id}}}});
  }
  if (path.rfind(hooks_prefix, 0) != 0) return std::nullopt;
  std::string id = path.substr(hooks_prefix.size());
  const bool listing = id.size() > 11 && id.substr(id.size() - 11) == "/deliveries";
  if (listing) id = id.substr(0, id.size() - 11);
  if (!listing && r.method == "GET") {
    ++webhook_reads_;
    if (!read_failures_.empty()) {
      FakeResponse failure = read_failures_.front();
      read_failures_.erase(read_failures_.begin());
      return failure;
    }
  }
  auto it = find_hook(id);
  if (it == hooks_.end()) return FakeAsc::error(404, "NOT_FOUND", "The specified resource does not exist", "There is no resource of type 'webhooks' with id '" + id + "'");
  if (listing && r.method == "GET") {
    auto q = parse_query(query);
    const std::size_t cursor = q.count("cursor") ? std::stoul(q["cursor"]) : 0;
    if (hold_cursor_ && *hold_cursor_ == cursor) {
      hold_cursor_.reset();
      holding_ = true;
      held_changed_.notify_all();
      held_changed_.wait(l, [this] { return released_; });
      FakeResponse res = list_deliveries(id, query);
      holding_ = false;
      held_changed_.notify_all();
      return res;
    }
    return list_deliveries(id, query);
  }
  if (r.method == "GET")
    return answer(200, {{"data", hook_json(*it)}, {"links", {{"self", std::string(kAppleHost) + "/v1/webhooks/" + id}}}});
  if (r.method == "PATCH") {
    auto body = json::parse(r.body, nullptr, false);
    if (!body.is_object() || body.value("/data/id"_json_pointer, std::string()) != id || body.value("/data/type"_json_pointer, std::string()) != "webhooks")
      return FakeAsc::error(409, "ENTITY_ERROR.ID.INVALID", "The provided entity id is invalid", "The resource id must match the id in the URL.");
    const json attrs = body["data"].value("attributes", json::object());
    if (attrs.contains("name")) it->name = attrs["name"];
    if (attrs.contains("url")) it->url = attrs["url"];
    if (attrs.contains("secret")) it->secret = attrs["secret"];
    if (attrs.contains("enabled")) it->enabled = attrs["enabled"];
    if (attrs.contains("eventTypes")) it->event_types = attrs["eventTypes"].get<std::vector<std::string>>();
    return answer(200, {{"data", hook_json(*it)}});
  }
  return FakeAsc::error(405, "METHOD_NOT_ALLOWED", "The request method is not allowed", r.method);
}

FakeResponse FakeAppleWebhooks::list_deliveries(const std::string& id, const std::string& query) {
  listing_queries_.push_back(query);
  if (!listing_failures_.empty()) {
    FakeResponse r = listing_failures_.front();
    listing_failures_.erase(listing_failures_.begin());
    return r;
  }
  auto q = parse_query(query);
  if (q.count("filter[deliveryState]")) return bad_parameter("'filter[deliveryState]' is not a valid filter for this request");
  const auto since = q.count("filter[createdDateGreaterThanOrEqualTo]")
                         ? event::parse_rfc3339_nanos(q["filter[createdDateGreaterThanOrEqualTo]"]) : std::nullopt;
  if (!since) return bad_parameter("'filter[createdDateGreaterThanOrEqualTo]' is required, a date within the last 10 days");
  const std::int64_t since_ms = *since / 1'000'000;
  if (since_ms < now_ms() - 10LL * 24 * 3600 * 1000) return bad_parameter("'filter[createdDateGreaterThanOrEqualTo]' must be within the last 10 days");
  std::int64_t until_ms = INT64_MAX;
  if (q.count("filter[createdDateLessThan]")) {
    auto u = event::parse_rfc3339_nanos(q["filter[createdDateLessThan]"]);
    if (!u) return bad_parameter("'filter[createdDateLessThan]' is not a date");
    until_ms = *u / 1'000'000;
  }
  const std::size_t limit = q.count("limit") ? std::stoul(q["limit"]) : 50;
  if (limit > 200) return bad_parameter("'limit' must be at most 200");
  const std::size_t page = std::min(limit, page_size_);
  const std::size_t cursor = q.count("cursor") ? std::stoul(q["cursor"]) : 0;
  std::vector<const Delivery*> matching;  // newest first, as Apple lists them
  for (auto it = deliveries_.rbegin(); it != deliveries_.rend(); ++it)
    if (it->webhook_id == id && it->created_ms >= since_ms && it->created_ms < until_ms) matching.push_back(&*it);
  json data = json::array(), included = json::array();
  for (std::size_t i = cursor; i < matching.size() && i < cursor + page; ++i) {
    const Delivery& d = *matching[i];
    json attrs = {{"createdDate", apple::apple_time(d.created_ms)}, {"deliveryState", d.state}, {"redelivery", false},
                  {"request", {{"url", "https://example.invalid"}}}};
    if (d.state != "PENDING") attrs["sentDate"] = apple::apple_time(d.created_ms + 5);
    if (!d.error.empty()) attrs["errorMessage"] = d.error;
    if (d.http_status) attrs["response"] = {{"httpStatusCode", *d.http_status}, {"body", ""}};
    data.push_back({{"type", "webhookDeliveries"}, {"id", d.id}, {"attributes", attrs},
                    {"relationships", {{"event", {{"data", {{"type", "webhookEvents"}, {"id", "ev-" + d.id}}}}}}}});
    json ev = {{"payload", d.payload}, {"ping", d.ping}, {"createdDate", apple::apple_time(d.created_ms)}};
    if (!d.event_type.empty()) ev["eventType"] = d.event_type;
    included.push_back({{"type", "webhookEvents"}, {"id", "ev-" + d.id}, {"attributes", ev}});
  }
  json links = {{"self", std::string(kAppleHost) + "/v1/webhooks/" + id + "/deliveries?" + query}};
  if (cursor + page < matching.size()) {
    std::string next_query = "cursor=" + std::to_string(cursor + page);
    for (const auto& [k, v] : parse_query(query))
      if (k != "cursor") next_query += "&" + bracket_encoded(k) + "=" + v;
    links["next"] = std::string(kAppleHost) + "/v1/webhooks/" + id + "/deliveries?" + next_query;
  }
  return answer(200, {{"data", data}, {"included", included}, {"links", links},
                      {"meta", {{"paging", {{"total", matching.size()}, {"limit", page}}}}}});
}

}  // namespace asc_webhookd::test
