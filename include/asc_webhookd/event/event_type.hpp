#pragma once
// The App Store Connect webhook event types (`data.type` in a payload), with
// the subscription enum name and which attribute names carry the state.
// Source: Apple's "Webhook notifications" documentation.
#include <optional>
#include <span>
#include <string_view>

namespace asc_webhookd::event {

enum class EventType {
  webhook_ping_created,
  app_store_version_app_version_state_updated,
  build_upload_state_updated,
  build_beta_detail_external_build_state_updated,
  beta_feedback_screenshot_submission_created,
  beta_feedback_crash_submission_created,
  background_asset_version_state_updated,
  background_asset_version_internal_beta_release_created,
  background_asset_version_external_beta_release_state_updated,
  background_asset_version_app_store_release_state_updated,
  alternative_distribution_package_version_created,
  alternative_distribution_package_available_updated,
  alternative_distribution_territory_availability_updated,
  customer_review_created,  // written by the review poller, not by Apple
  webhook_health_changed,   // written by the reconcile pass: Apple's webhook's verdict changed
  unknown,  // a well-formed type we do not know yet: kept, never refused
};

struct EventTypeInfo {
  EventType type;
  std::string_view name;          // payload data.type
  std::string_view subscription;  // WebhookEventType value ("" for the ping)
  std::string_view old_key;       // attribute holding the old state ("" if none)
  std::string_view new_key;       // attribute holding the new state ("" if none)
};

std::span<const EventTypeInfo> known_event_types();
std::span<const std::string_view> known_event_type_names();
// Every state value Apple documents for any event (a rule's from/to values
// are checked against it; Apple adds values, so others are warned about only).
std::span<const std::string_view> documented_states();
const EventTypeInfo* find_event_type(std::string_view name);
std::string_view to_string(EventType t);

}  // namespace asc_webhookd::event
