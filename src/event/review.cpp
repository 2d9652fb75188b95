#include "asc_webhookd/event/review.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace asc_webhookd::event {

using nlohmann::json;

std::string review_event_body(const std::string& id, const Review& r, const std::string& api_base) {
  json review = {{"rating", r.rating},       {"title", r.title},         {"body", r.body},
                 {"nickname", r.nickname},   {"territory", r.territory}, {"created", r.created},
                 {"app_id", r.app_id}};
  if (r.response) review["response"] = {{"text", *r.response}, {"state", r.response_state.value_or("")}};
  json data = {{"type", kReviewEventType},
               {"id", id},
               {"version", 1},
               {"relationships",
                {{"instance",
                  {{"data", {{"type", "customerReviews"}, {"id", id}}},
                   {"links", {{"self", api_base + "/v1/customerReviews/" + id}}}}}}}};
  if (!r.created.empty()) data["attributes"] = {{"timestamp", r.created}};
  // Invalid UTF-8 from Apple becomes U+FFFD rather than failing the pass.
  return json{{"data", data}, {"review", review}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

namespace {

bool text(const json& obj, const char* key, std::string& out, std::string& error) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return true;
  if (!it->is_string()) {
    error = std::string("review.") + key + " must be a string";
    return false;
  }
  out = it->get<std::string>();
  return true;
}

}  // namespace

bool read_review(const json& doc, std::optional<Review>& out, std::string& error) {
  auto it = doc.find("review");
  if (it == doc.end() || it->is_null()) return true;
  if (!it->is_object()) {
    error = "review must be an object";
    return false;
  }
  const json& j = *it;
  Review r;
  if (auto rating = j.find("rating"); rating != j.end()) {
    if (!rating->is_number_integer() || rating->get<std::int64_t>() < 1 || rating->get<std::int64_t>() > 5) {
      error = "review.rating must be a whole number from 1 to 5";
      return false;
    }
    r.rating = rating->get<int>();
  }
  for (auto [key, field] : {std::pair{"title", &r.title}, {"body", &r.body}, {"nickname", &r.nickname},
                            {"territory", &r.territory}, {"created", &r.created}, {"app_id", &r.app_id}})
    if (!text(j, key, *field, error)) return false;
  if (auto resp = j.find("response"); resp != j.end() && !resp->is_null()) {
    if (!resp->is_object()) {
      error = "review.response must be an object";
      return false;
    }
    std::string body, state;
    if (!text(*resp, "text", body, error) || !text(*resp, "state", state, error)) {
      error = "review.response: " + error;
      return false;
    }
    r.response = body;
    if (!state.empty()) r.response_state = state;
  }
  out = std::move(r);
  return true;
}

std::string stars(int rating) {
  const int n = std::clamp(rating, 0, 5);
  std::string s;
  for (int i = 0; i < 5; ++i) s += i < n ? "★" : "☆";
  return s;
}

}  // namespace asc_webhookd::event
