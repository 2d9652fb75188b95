#include "asc_webhookd/apple/reviews.hpp"

#include "json_members.hpp"

#include "asc_webhookd/event/review.hpp"

#include <map>

namespace asc_webhookd::apple {

using nlohmann::json;

namespace {

using detail::object_at;
using detail::string_at;

Result<ReviewResponse, Error> response_of(const json& r) {
  if (string_at(r, "type") != "customerReviewResponses" || string_at(r, "id").empty())
    return Error{"a review response in Apple's answer has no type \"customerReviewResponses\" or no id"};
  const json& a = object_at(r, "attributes");
  return ReviewResponse{string_at(r, "id"), string_at(a, "responseBody"), string_at(a, "state"), string_at(a, "lastModifiedDate")};
}

// The response id a review's relationship names ("" when none: Apple may
// leave out `data`, or the whole relationship, for an unanswered review).
std::string response_id_of(const json& review) {
  return string_at(object_at(object_at(object_at(review, "relationships"), "response"), "data"), "id");
}

// The responses in `included`: by their id, and by the review their own
// relationship names (a review's relationship may leave out `data`).
struct IncludedResponses {
  std::map<std::string, ReviewResponse> by_id;
  std::map<std::string, std::string> id_by_review;

  // The one the review's relationship names, else one that names the review.
  const ReviewResponse* of(const json& review) const {
    if (auto it = by_id.find(response_id_of(review)); it != by_id.end()) return &it->second;
    if (auto link = id_by_review.find(string_at(review, "id")); link != id_by_review.end())
      if (auto it = by_id.find(link->second); it != by_id.end()) return &it->second;
    return nullptr;
  }
};

IncludedResponses included_responses(const json& answer) {
  IncludedResponses out;
  auto it = answer.find("included");
  if (it == answer.end() || !it->is_array()) return out;
  for (const auto& inc : *it) {
    if (string_at(inc, "type") != "customerReviewResponses") continue;  // territories, ...
    auto r = response_of(inc);
    if (!r) continue;
    const std::string review = string_at(object_at(object_at(object_at(inc, "relationships"), "review"), "data"), "id");
    if (!review.empty()) out.id_by_review[review] = r->id;
    out.by_id.emplace(r->id, std::move(*r));
  }
  return out;
}

Result<CustomerReview, Error> review_of(const json& r, const std::string& app_id, const IncludedResponses& responses) {
  if (string_at(r, "type") != "customerReviews" || string_at(r, "id").empty())
    return Error{"a review in Apple's answer has no type \"customerReviews\" or no id"};
  CustomerReview out;
  out.id = string_at(r, "id");
  const json& a = object_at(r, "attributes");
  auto rating = a.find("rating");
  if (rating == a.end() || !rating->is_number_integer() || rating->get<std::int64_t>() < 1 ||
      rating->get<std::int64_t>() > 5)
    return Error{"review " + out.id + " in Apple's answer has no rating from 1 to 5"};
  event::Review& v = out.review;
  v.rating = rating->get<int>();
  v.title = string_at(a, "title");
  v.body = string_at(a, "body");
  v.nickname = string_at(a, "reviewerNickname");
  v.territory = string_at(a, "territory");
  v.created = string_at(a, "createdDate");
  v.app_id = app_id;
  if (auto nanos = event::parse_rfc3339_nanos(v.created)) out.created_ms = *nanos / 1'000'000;
  if (const ReviewResponse* response = responses.of(r)) {
    out.response = *response;
    v.response = response->text;
    if (!response->state.empty()) v.response_state = response->state;
  }
  return out;
}

}  // namespace

Result<ReviewPage, Error> decode_review_page(const json& answer, const std::string& app_id) {
  if (!answer.is_object() || !answer.contains("data") || !answer["data"].is_array())
    return Error{"Apple's answer has no data list"};
  const auto responses = included_responses(answer);
  ReviewPage page;
  for (const auto& r : answer["data"]) {
    auto review = review_of(r, app_id, responses);
    if (!review) return review.error();
    page.reviews.push_back(std::move(*review));
  }
  page.next = string_at(object_at(answer, "links"), "next");
  return page;
}

Result<CustomerReview, Error> decode_review(const json& answer, const std::string& app_id) {
  if (!answer.is_object() || !answer.contains("data") || !answer["data"].is_object())
    return Error{"Apple's answer has no data object"};
  return review_of(answer["data"], app_id, included_responses(answer));
}

Result<ReviewResponse, Error> decode_review_response(const json& answer) {
  if (!answer.is_object() || !answer.contains("data") || !answer["data"].is_object())
    return Error{"Apple's answer has no data object"};
  return response_of(answer["data"]);
}

json review_json(const CustomerReview& r) {
  json response = nullptr;
  if (r.response)
    response = {{"id", r.response->id}, {"text", r.response->text}, {"state", r.response->state},
                {"last_modified", r.response->modified}};
  return {{"id", r.id},
          {"rating", r.review.rating},
          {"stars", event::stars(r.review.rating)},
          {"title", r.review.title},
          {"body", r.review.body},
          {"nickname", r.review.nickname},
          {"territory", r.review.territory},
          {"created", r.review.created},
          {"response", response}};
}

json review_reply_body(const std::string& review_id, const std::string& text) {
  return {{"data",
           {{"type", "customerReviewResponses"},
            {"attributes", {{"responseBody", text}}},
            {"relationships", {{"review", {{"data", {{"type", "customerReviews"}, {"id", review_id}}}}}}}}}};
}

}  // namespace asc_webhookd::apple
