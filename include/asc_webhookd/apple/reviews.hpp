#pragma once
// Apple's customer review resources ("customerReviews" and the developer
// response, "customerReviewResponses") as plain structs: the decoders of
// Apple's answers (total: an unexpected shape is an Error naming what is
// missing, never a throw) and the request body of a reply.
#include "asc_webhookd/core/result.hpp"
#include "asc_webhookd/event/event.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace asc_webhookd::apple {

// A developer response to a review.
struct ReviewResponse {
  std::string id;        // the response's own id (DELETE takes it)
  std::string text;      // responseBody
  std::string state;     // PENDING_PUBLISH | PUBLISHED
  std::string modified;  // lastModifiedDate
};

struct CustomerReview {
  std::string id;
  event::Review review;          // the event's `review` member (with the response's text)
  std::int64_t created_ms = 0;   // 0: Apple gave no readable createdDate
  std::optional<ReviewResponse> response;
};

struct ReviewPage {
  std::vector<CustomerReview> reviews;  // in Apple's order (newest first when asked so)
  std::string next;                     // links.next, "" on the last page
};

// A list answer (`include=response` joins the responses from `included`).
Result<ReviewPage, Error> decode_review_page(const nlohmann::json& answer, const std::string& app_id);
// GET /v1/customerReviews/{id}?include=response.
Result<CustomerReview, Error> decode_review(const nlohmann::json& answer, const std::string& app_id);
// The response document (201 of a reply, GET .../response).
Result<ReviewResponse, Error> decode_review_response(const nlohmann::json& answer);

// A review and its response as `review show` prints it and the console's
// API answers it: id, rating, stars, title, body, nickname, territory,
// created, response {id, text, state, last_modified} or null.
nlohmann::json review_json(const CustomerReview& review);

// POST /v1/customerReviewResponses: creates the response, or replaces the
// one the review has.
nlohmann::json review_reply_body(const std::string& review_id, const std::string& text);

}  // namespace asc_webhookd::apple
