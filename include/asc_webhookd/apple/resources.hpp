#pragma once
// Apple's webhook management resources (Apple's "webhooks" and "webhookDeliveries") as plain
// structs: the decoders of Apple's answers (total: an unexpected shape is an
// Error naming what is missing, never a throw) and the request bodies.
#include "asc_webhookd/core/result.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace asc_webhookd::apple {

struct Webhook {
  std::string id;
  std::string name;
  std::string url;
  bool enabled = false;
  std::vector<std::string> event_types;  // WebhookEventType values
};

// What `apple setup` asks Apple to hold.
struct WebhookSpec {
  std::string name;
  std::string url;
  std::string secret;
  std::vector<std::string> event_types;
  bool enabled = true;
};

struct Delivery {
  std::string id;
  std::string created;           // RFC 3339, as Apple gives it
  std::int64_t created_ms = 0;   // 0 when Apple gave none
  std::string sent;
  std::string state;             // SUCCEEDED | FAILED | PENDING
  std::optional<int> http_status;
  std::string error;             // Apple's errorMessage
  bool redelivery = false;
  bool ping = false;
  std::string event_type;        // WebhookEventType ("" for a ping)
  std::string payload;           // the body Apple delivered (or tried to), as text
  std::string event_id;          // the payload's data.id ("" when it has none)
};

struct DeliveryPage {
  std::vector<Delivery> deliveries;
  std::string next;  // links.next, "" on the last page
};

// Every event type a webhook can subscribe to (the 12 WebhookEventType values).
std::vector<std::string> subscription_types();

Result<std::vector<Webhook>, Error> decode_webhooks(const nlohmann::json& answer);  // `data` a list or one object
Result<DeliveryPage, Error> decode_deliveries(const nlohmann::json& answer);
// links.next of a list answer ("" on the last page).
std::string next_link(const nlohmann::json& answer);
Result<std::string, Error> decode_created_id(const nlohmann::json& answer, std::string_view type);  // 201's data.id

nlohmann::json webhook_create_body(const std::string& app_id, const WebhookSpec& spec);
nlohmann::json webhook_update_body(const std::string& webhook_id, const WebhookSpec& spec);
nlohmann::json ping_body(const std::string& webhook_id);

// Apple's date-time form for the delivery filters: 2026-12-01T09:30:00.000Z.
std::string apple_time(std::int64_t ms);

}  // namespace asc_webhookd::apple
