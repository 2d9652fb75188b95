#pragma once
// The customerReviewCreated event: Apple pushes no review events, so the
// review poller writes one per new review in the shape of Apple's webhook
// payloads (data.type, data.id = the review's id, the instance
// customerReviews/{id}, the review's createdDate as data.attributes.timestamp)
// with the review itself in a top-level `review` member. The body is then
// decoded, planned and stored like a POSTed one.
#include "asc_webhookd/event/event.hpp"

#include <nlohmann/json_fwd.hpp>

#include <string>

namespace asc_webhookd::event {

inline constexpr std::string_view kReviewEventType = "customerReviewCreated";

// The event body for review `id`. `api_base` is where the instance link
// points (Apple's API host).
std::string review_event_body(const std::string& id, const Review& review, const std::string& api_base);

// Reads `review` from a decoded body (absent: nullopt). False with `error`
// naming the member when it is there but malformed.
bool read_review(const nlohmann::json& doc, std::optional<Review>& out, std::string& error);

// "★★☆☆☆" for 2 (a rating outside 1..5 is clamped).
std::string stars(int rating);

}  // namespace asc_webhookd::event
