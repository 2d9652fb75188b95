#include "asc_webhookd/apple/reviews.hpp"

#include "json_members.hpp"

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

Result<CustomerReview, Error> review_of(const json& r, const std::string& app_id,
                                        const std::map<std::string, ReviewResponse>& responses) {
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
  if (auto it = responses.find(response_id_of(r)); it != responses.end()) {
    out.response = it->second;
    v.response = it->second.text;
    if (!it->second.state.empty()) v.response_state = it->second.state;
  }
  return out;
}

// The responses in `included`, by id; and those whose relationship names
// their review, by review id too (a response may come without the review's
// relationship naming it).
std::map<std::string, ReviewResponse> included_responses(const json& answer, std::map<std::string, std::string>& by_review) {
  std::map<std::string, ReviewResponse> out;
  auto it = answer.find("included");
  if (it == answer.end() || !it->is_array()) return out;
  for (const auto& inc : *it) {
    if (string_at(inc, "type") != "customerReviewResponses") continue;  // territories, ...
    auto r = response_of(inc);
    if (!r) continue;
    const std::string review = string_at(object_at(object_at(object_at(inc, "relationships"), "review"), "data"), "id");
    if (!review.empty()) by_review[review] = r->id;
    out.emplace(r->id, std::move(*r));
  }
  return out;
}

Result<CustomerReview, Error> joined(const json& r, const std::string& app_id, std::map<std::string, ReviewResponse>& responses,
                                     const std::map<std::string, std::string>& by_review) {
  auto review = review_of(r, app_id, responses);
  if (review && !review->response)
    if (auto link = by_review.find(review->id); link != by_review.end())
      if (auto resp = responses.find(link->second); resp != responses.end()) {
        review->response = resp->second;
        review->review.response = resp->second.text;
        if (!resp->second.state.empty()) review->review.response_state = resp->second.state;
      }
  return review;
}

}  // namespace

Result<ReviewPage, Error> decode_review_page(const json& answer, const std::string& app_id) {
  if (!answer.is_object() || !answer.contains("data") || !answer["data"].is_array())
    return Error{"Apple's answer has no data list"};
  std::map<std::string, std::string> by_review;
  auto responses = included_responses(answer, by_review);
  ReviewPage page;
  for (const auto& r : answer["data"]) {
    auto review = joined(r, app_id, responses, by_review);
    if (!review) return review.error();
    page.reviews.push_back(std::move(*review));
  }
  page.next = string_at(object_at(answer, "links"), "next");
  return page;
}

Result<CustomerReview, Error> decode_review(const json& answer, const std::string& app_id) {
  if (!answer.is_object() || !answer.contains("data") || !answer["data"].is_object())
    return Error{"Apple's answer has no data object"};
  std::map<std::string, std::string> by_review;
  auto responses = included_responses(answer, by_review);
  return joined(answer["data"], app_id, responses, by_review);
}

Result<ReviewResponse, Error> decode_review_response(const json& answer) {
  if (!answer.is_object() || !answer.contains("data") || !answer["data"].is_object())
    return Error{"Apple's answer has no data object"};
  return response_of(answer["data"]);
}

json review_reply_body(const std::string& review_id, const std::string& text) {
  return {{"data",
           {{"type", "customerReviewResponses"},
            {"attributes", {{"responseBody", text}}},
            {"relationships", {{"review", {{"data", {{"type", "customerReviews"}, {"id", review_id}}}}}}}}}};
}

}  // namespace asc_webhookd::apple
