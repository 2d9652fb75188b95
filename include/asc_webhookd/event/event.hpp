#pragma once
// A received App Store Connect event as a typed value. Decoding accepts every
// shape Apple documents (Apple's "Webhook notifications" documentation): the three spellings
// of old/new state, the wrapped (`instance.data` + `links.self`) and flat
// (background assets) instance forms, no instance at all, no `version`.
// Unknown types and unknown state values are kept, never refused.
#include "asc_webhookd/core/result.hpp"
#include "asc_webhookd/event/event_type.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace asc_webhookd::event {

struct ResourceRef {
  std::string type;
  std::string id;
  std::string url;  // links.self; may be empty
};

struct Timestamp {
  std::int64_t unix_nanos = 0;
  std::string text;  // as Apple wrote it
};

// A customer review, as the review poller found it (apple/review_poll): the
// `review` member of a customerReviewCreated event. Apple pushes no review
// events; the poller writes this payload itself (see review.hpp).
struct Review {
  int rating = 0;         // 1..5
  std::string title;
  std::string body;
  std::string nickname;   // reviewerNickname
  std::string territory;  // ISO 3166-1 alpha-3, as Apple spells it
  std::string created;    // createdDate, RFC 3339 as Apple gave it
  std::string app_id;     // the app's Apple ID (for links)
  std::optional<std::string> response;        // the developer response's text
  std::optional<std::string> response_state;  // PENDING_PUBLISH | PUBLISHED
};

// The verdict on Apple's webhook that changed: the attributes of a
// webhookHealthChanged event (apple/webhook_health.hpp writes it). Each
// problem names what is wrong and the command that fixes it.
struct WebhookHealth {
  bool healthy = false;
  std::vector<std::string> problems;  // now ([] when healthy)
  std::vector<std::string> previous;  // before the change
};

struct Event {
  EventType type = EventType::unknown;
  std::string type_name;  // data.type as received
  std::string id;         // data.id
  std::optional<std::int64_t> version;
  std::optional<Timestamp> timestamp;
  std::optional<std::string> old_state;
  std::optional<std::string> new_state;
  std::optional<ResourceRef> instance;
  std::optional<ResourceRef> marketplace_app;  // alternative distribution
  std::optional<std::string> app_id;           // alternative distribution
  std::optional<bool> available;               // alternative distribution
  std::vector<std::string> territories;        // alternative distribution
  std::optional<Review> review;                // customerReviewCreated
  std::optional<WebhookHealth> health;         // webhookHealthChanged
  std::string raw;                             // the body exactly as received
};

// Decodes a body whose signature was already verified. The error message
// names what is wrong ("data.id is missing", "not JSON: ...") and is safe to
// send back to the client. Throws nothing.
Result<Event, Error> decode_event(std::string_view body);

// RFC 3339 ("2025-04-16T05:00:52.745Z", up to nanoseconds, Z or ±hh:mm).
std::optional<std::int64_t> parse_rfc3339_nanos(std::string_view text);

}  // namespace asc_webhookd::event
