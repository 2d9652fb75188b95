#include "support/fake_apple_reviews.hpp"

#include "asc_webhookd/apple/resources.hpp"
#include "asc_webhookd/apple/territories.hpp"
#include "support/fake_asc_documents.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace asc_webhookd::test {

using nlohmann::json;
using asc_documents::answer;
using asc_documents::kAppleHost;
using asc_documents::now_ms;
using asc_documents::parse_query;

namespace {

constexpr std::size_t kMaxResponseCharacters = 5970;  // community-measured; Apple states none

FakeResponse bad_parameter(const std::string& detail) {
  return FakeAsc::error(400, "PARAMETER_ERROR.INVALID", "A parameter has an invalid value", detail);
}

// Apple's example form: a UTC offset, no fraction (2017-11-15T08:10:34-08:00).
std::string pacific_time(std::int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000) - 7 * 3600;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S-07:00", &tm);
  return buf;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i <= s.size()) {
    auto comma = s.find(',', i);
    out.push_back(s.substr(i, comma == std::string::npos ? std::string::npos : comma - i));
    if (comma == std::string::npos) break;
    i = comma + 1;
  }
  return out;
}

std::size_t characters(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xc0) != 0x80;
  return n;
}

}  // namespace

FakeAppleReviews::FakeAppleReviews(FakeAsc& asc, std::string app_id) : app_id_(std::move(app_id)) {
  asc.add_route([this](const FakeRequest& r, const std::string& path) { return route(r, path); });
}

FakeAppleReviews::~FakeAppleReviews() {
  std::unique_lock l(mutex_);
  released_ = true;
  held_changed_.notify_all();
  held_changed_.wait(l, [this] { return !holding_; });
}

void FakeAppleReviews::hold_listing_at(std::size_t cursor) {
  std::lock_guard l(mutex_);
  hold_cursor_ = cursor;
}

bool FakeAppleReviews::wait_held(std::chrono::milliseconds timeout) {
  std::unique_lock l(mutex_);
  return held_changed_.wait_for(l, timeout, [this] { return holding_; });
}

void FakeAppleReviews::release_listing() {
  std::lock_guard l(mutex_);
  released_ = true;
  held_changed_.notify_all();
}

std::string FakeAppleReviews::add(int rating, std::chrono::milliseconds age, const std::string& territory,
                                  const std::string& title, const std::string& body) {
  std::lock_guard l(mutex_);
  char id[64];
  std::snprintf(id, sizeof id, "%08d-1c2e-0014-9a31-7b4200000000", next_id_++);
  Review r;
  r.id = id;
  r.rating = rating;
  r.territory = territory;
  r.title = title.empty() ? std::to_string(rating) + " stars" : title;
  r.body = body.empty() ? "Review " + r.id : body;
  r.nickname = "reviewer" + std::to_string(next_id_);
  r.created_ms = now_ms() - age.count();
  reviews_.push_back(r);
  return r.id;
}

void FakeAppleReviews::set_page_size(std::size_t n) {
  std::lock_guard l(mutex_);
  page_size_ = n;
}

void FakeAppleReviews::arrive_after_page(std::size_t cursor, Review r) {
  std::lock_guard l(mutex_);
  arrivals_.emplace_back(cursor, std::move(r));
}

void FakeAppleReviews::fail_next_listing(FakeResponse r) {
  std::lock_guard l(mutex_);
  listing_failures_.push_back(std::move(r));
}

void FakeAppleReviews::forbid_replies(bool forbid) {
  std::lock_guard l(mutex_);
  forbid_replies_ = forbid;
}

void FakeAppleReviews::publish(const std::string& review_id) {
  std::lock_guard l(mutex_);
  for (auto& r : reviews_)
    if (r.id == review_id && r.response) r.response->state = "PUBLISHED";
}

void FakeAppleReviews::seed_response(const std::string& review_id, const std::string& text, const std::string& state) {
  std::lock_guard l(mutex_);
  for (auto& r : reviews_)
    if (r.id == review_id) r.response = Response{"seeded-" + review_id.substr(0, 8), text, state, now_ms()};
}

std::vector<std::string> FakeAppleReviews::listing_queries() const {
  std::lock_guard l(mutex_);
  return listing_queries_;
}

std::vector<json> FakeAppleReviews::reply_bodies() const {
  std::lock_guard l(mutex_);
  return reply_bodies_;
}

std::vector<std::string> FakeAppleReviews::deleted() const {
  std::lock_guard l(mutex_);
  return deleted_;
}

std::optional<FakeAppleReviews::Response> FakeAppleReviews::response_of(const std::string& review_id) const {
  std::lock_guard l(mutex_);
  for (const auto& r : reviews_)
    if (r.id == review_id) return r.response;
  return std::nullopt;
}

FakeResponse FakeAppleReviews::rate_limited() {
  // Apple's code; the title and detail wording are not confirmed.
  FakeResponse r = FakeAsc::error(429, "RATE_LIMIT_EXCEEDED", "The request rate limit has been reached.",
                                  "We've received too many requests for this API. Please wait and try again or slow down your request rate.");
  r.headers["X-Rate-Limit"] = "user-hour-lim:3600;user-hour-rem:0;";
  return r;
}

json FakeAppleReviews::response_json(const Review& r) const {
  const Response& p = *r.response;
  return {{"type", "customerReviewResponses"},
          {"id", p.id},
          {"attributes", {{"responseBody", p.text}, {"lastModifiedDate", apple::apple_time(p.modified_ms)}, {"state", p.state}}},
          {"relationships", {{"review", {{"data", {{"type", "customerReviews"}, {"id", r.id}}}}}}},
          {"links", {{"self", std::string(kAppleHost) + "/v1/customerReviewResponses/" + p.id}}}};
}

json FakeAppleReviews::review_json(const Review& r) const {
  const std::string self = std::string(kAppleHost) + "/v1/customerReviews/" + r.id;
  // Without include, Apple's example shows only the links of the response.
  json response = {{"links", {{"self", self + "/relationships/response"}, {"related", self + "/response"}}}};
  if (r.response) response["data"] = {{"type", "customerReviewResponses"}, {"id", r.response->id}};
  return {{"type", "customerReviews"},
          {"id", r.id},
          {"attributes",
           {{"rating", r.rating},
            {"title", r.title},
            {"body", r.body},
            {"reviewerNickname", r.nickname},
            {"createdDate", pacific_time(r.created_ms)},
            {"territory", r.territory}}},
          {"relationships", {{"response", response}}},
          {"links", {{"self", self}}}};
}

std::optional<FakeResponse> FakeAppleReviews::route(const FakeRequest& r, const std::string& path) {
  const std::string query = r.target.find('?') == std::string::npos ? "" : r.target.substr(r.target.find('?') + 1);
  const std::string list_path = "/v1/apps/" + app_id_ + "/customerReviews";
  if (path == list_path && r.method == "GET") return list(query);
  if (path == "/v1/customerReviewResponses" && r.method == "POST") return reply(r);
  std::unique_lock l(mutex_);
  const std::string reviews = "/v1/customerReviews/", responses = "/v1/customerReviewResponses/";
  if (path.rfind(reviews, 0) == 0 && r.method == "GET") {
    std::string id = path.substr(reviews.size());
    const bool response_only = id.size() > 9 && id.compare(id.size() - 9, 9, "/response") == 0;
    if (response_only) id.resize(id.size() - 9);
    auto it = std::find_if(reviews_.begin(), reviews_.end(), [&](const Review& x) { return x.id == id; });
    if (it == reviews_.end())
      return FakeAsc::error(404, "NOT_FOUND", "The specified resource does not exist",
                            "There is no resource of type 'customerReviews' with id '" + id + "'");
    if (response_only) {
      if (!it->response)
        return FakeAsc::error(404, "NOT_FOUND", "The specified resource does not exist",
                              "There is no resource of type 'customerReviewResponses' for this review");
      return answer(200, {{"data", response_json(*it)}, {"links", {{"self", std::string(kAppleHost) + path}}}});
    }
    json doc = {{"data", review_json(*it)}, {"links", {{"self", std::string(kAppleHost) + path}}}};
    if (parse_query(query)["include"].find("response") != std::string::npos && it->response)
      doc["included"] = json::array({response_json(*it)});
    return answer(200, doc);
  }
  if (path.rfind(responses, 0) == 0 && r.method == "DELETE") {
    const std::string id = path.substr(responses.size());
    if (forbid_replies_)
      return FakeAsc::error(403, "FORBIDDEN_ERROR", "This request is forbidden for security reasons",
                            "The API key in use does not allow this request");
    for (auto& x : reviews_)
      if (x.response && x.response->id == id) {
        x.response.reset();
        deleted_.push_back(id);
        return FakeResponse{204, {}, "", {}};
      }
    return FakeAsc::error(404, "NOT_FOUND", "The specified resource does not exist",
                          "There is no resource of type 'customerReviewResponses' with id '" + id + "'");
  }
  return std::nullopt;
}

FakeResponse FakeAppleReviews::list(const std::string& query) {
  std::unique_lock l(mutex_);
  if (hold_cursor_) {
    const std::string c = parse_query(query)["cursor"];
    if ((c.empty() ? 0 : std::stoul(c.substr(3))) == *hold_cursor_) {
      hold_cursor_.reset();
      holding_ = true;
      held_changed_.notify_all();
      held_changed_.wait(l, [this] { return released_; });
      holding_ = false;
      held_changed_.notify_all();
    }
  }
  listing_queries_.push_back(query);
  if (!listing_failures_.empty()) {
    FakeResponse r = listing_failures_.front();
    listing_failures_.erase(listing_failures_.begin());
    return r;
  }
  auto q = parse_query(query);
  static const std::vector<std::string> known{"sort",          "include",           "limit", "cursor",
                                              "filter[rating]", "filter[territory]", "filter[reviewTerritory]",
                                              "exists[publishedResponse]", "fields[customerReviews]",
                                              "fields[customerReviewResponses]", "fields[territories]"};
  for (const auto& [k, v] : q)
    if (std::find(known.begin(), known.end(), k) == known.end())
      return FakeAsc::error(400, "PARAMETER_ERROR.ILLEGAL", "A parameter was not allowed",
                            "The parameter '" + k + "' can not be used with this request");
  std::vector<const Review*> rows;
  for (const auto& r : reviews_) rows.push_back(&r);
  if (q.count("sort")) {
    const std::string sort = q["sort"];
    if (sort.find(',') != std::string::npos) return bad_parameter("Only one sort parameter is allowed");
    if (sort != "createdDate" && sort != "-createdDate" && sort != "rating" && sort != "-rating")
      return bad_parameter("'" + sort + "' is not a valid sort for 'sort'");
    const bool desc = sort[0] == '-';
    const bool by_date = sort.find("createdDate") != std::string::npos;
    std::stable_sort(rows.begin(), rows.end(), [&](const Review* a, const Review* b) {
      const std::int64_t x = by_date ? a->created_ms : a->rating, y = by_date ? b->created_ms : b->rating;
      return desc ? x > y : x < y;
    });
  }
  if (q.count("filter[rating]")) {
    std::vector<int> allowed;
    for (const auto& v : split(q["filter[rating]"])) {
      if (v.size() != 1 || v[0] < '1' || v[0] > '5') return bad_parameter("'" + v + "' is not a valid value for 'filter[rating]'");
      allowed.push_back(v[0] - '0');
    }
    std::erase_if(rows, [&](const Review* r) { return std::find(allowed.begin(), allowed.end(), r->rating) == allowed.end(); });
  }
  if (q.count("filter[territory]")) {
    const auto allowed = split(q["filter[territory]"]);
    for (const auto& t : allowed)
      if (!apple::is_territory_code(t)) return bad_parameter("'" + t + "' is not a valid value for 'filter[territory]'");
    std::erase_if(rows, [&](const Review* r) { return std::find(allowed.begin(), allowed.end(), r->territory) == allowed.end(); });
  }
  bool with_responses = false;
  if (q.count("include"))
    for (const auto& inc : split(q["include"])) {
      if (inc != "response" && inc != "reviewTerritory") return bad_parameter("'" + inc + "' is not a valid value for 'include'");
      with_responses = with_responses || inc == "response";
    }
  const std::size_t limit = q.count("limit") ? std::stoul(q["limit"]) : 50;
  if (limit == 0 || limit > 200) return bad_parameter("'limit' must be between 1 and 200");
  std::size_t cursor = 0;
  if (q.count("cursor")) {
    const std::string c = q["cursor"];
    if (c.rfind("AQ.", 0) != 0 || c.size() == 3 || c.find_first_not_of("0123456789", 3) != std::string::npos)
      return bad_parameter("'cursor' is not valid");
    cursor = std::stoul(c.substr(3));
  }
  const std::size_t page = std::min(limit, page_size_);
  json data = json::array(), included = json::array();
  for (std::size_t i = cursor; i < rows.size() && i < cursor + page; ++i) {
    data.push_back(review_json(*rows[i]));
    if (with_responses && rows[i]->response) included.push_back(response_json(*rows[i]));
  }
  const std::string base = std::string(kAppleHost) + "/v1/apps/" + app_id_ + "/customerReviews";
  json doc = {{"data", data},
              {"links", {{"self", base + (query.empty() ? "" : "?" + query)}}},
              {"meta", {{"paging", {{"total", rows.size()}, {"limit", limit}}}}}};
  if (with_responses) doc["included"] = included;
  if (cursor + page < rows.size()) {
    // Every original parameter, and the cursor first (Apple's example).
    std::string rest;
    for (std::size_t i = 0; i < query.size();) {
      auto amp = query.find('&', i);
      const std::string pair = query.substr(i, amp == std::string::npos ? std::string::npos : amp - i);
      if (pair.rfind("cursor=", 0) != 0 && !pair.empty()) rest += "&" + pair;
      if (amp == std::string::npos) break;
      i = amp + 1;
    }
    doc["links"]["next"] = base + "?cursor=AQ." + std::to_string(cursor + page) + rest;
  }
  for (auto it = arrivals_.begin(); it != arrivals_.end();)
    if (it->first == cursor) {
      Review r = it->second;
      r.created_ms = now_ms();
      reviews_.push_back(r);
      it = arrivals_.erase(it);
    } else {
      ++it;
    }
  return answer(200, doc);
}

FakeResponse FakeAppleReviews::reply(const FakeRequest& req) {
  std::lock_guard l(mutex_);
  auto body = json::parse(req.body, nullptr, false);
  reply_bodies_.push_back(body);
  if (forbid_replies_)
    return FakeAsc::error(403, "FORBIDDEN_ERROR", "This request is forbidden for security reasons",
                          "The API key in use does not allow this request");
  const json::json_pointer type("/data/type"), text("/data/attributes/responseBody"),
      review_type("/data/relationships/review/data/type"), review_id("/data/relationships/review/data/id");
  if (!body.is_object() || !body.contains(type) || body.at(type) != "customerReviewResponses")
    return FakeAsc::error(409, "ENTITY_ERROR.TYPE.INVALID", "The provided entity type is invalid",
                          "The resource type must be 'customerReviewResponses'.");
  if (!body.contains(text) || !body.at(text).is_string())
    return FakeAsc::error(409, "ENTITY_ERROR.ATTRIBUTE.REQUIRED", "The provided entity is missing a required field",
                          "You must provide a value for the attribute 'responseBody' with this request");
  if (!body.contains(review_id) || !body.contains(review_type) || body.at(review_type) != "customerReviews")
    return FakeAsc::error(409, "ENTITY_ERROR.RELATIONSHIP.REQUIRED", "The provided entity is missing a required relationship",
                          "You must provide a value for the relationship 'review' with this request");
  const std::string responseBody = body.at(text).get<std::string>();
  if (characters(responseBody) > kMaxResponseCharacters)
    return FakeAsc::error(409, "ENTITY_ERROR.ATTRIBUTE.INVALID.TOO_LONG", "An attribute value is too long.",
                          "The value of 'responseBody' is longer than 5970 characters.");
  const std::string id = body.at(review_id).is_string() ? body.at(review_id).get<std::string>() : "";
  auto it = std::find_if(reviews_.begin(), reviews_.end(), [&](const Review& x) { return x.id == id; });
  if (it == reviews_.end())
    return FakeAsc::error(404, "NOT_FOUND", "The specified resource does not exist",
                          "There is no resource of type 'customerReviews' with id '" + id + "'");
  it->response = Response{"6e1f0c3a-2b7d-4c58-9f0e-" + std::to_string(100000000000 + next_id_++), responseBody,
                          "PENDING_PUBLISH", now_ms()};
  return answer(201, {{"data", response_json(*it)},
                      {"links", {{"self", std::string(kAppleHost) + "/v1/customerReviewResponses/" + it->response->id}}}});
}

}  // namespace asc_webhookd::test
