#include "asc_webhookd/event/event_type.hpp"

#include <array>

namespace asc_webhookd::event {
namespace {

constexpr std::array<EventTypeInfo, 15> kTypes{{
    {EventType::webhook_ping_created, "webhookPingCreated", "", "", ""},
    {EventType::app_store_version_app_version_state_updated, "appStoreVersionAppVersionStateUpdated",
     "APP_STORE_VERSION_APP_VERSION_STATE_UPDATED", "oldValue", "newValue"},
    {EventType::build_upload_state_updated, "buildUploadStateUpdated", "BUILD_UPLOAD_STATE_UPDATED", "oldState",
     "newState"},
    {EventType::build_beta_detail_external_build_state_updated, "buildBetaDetailExternalBuildStateUpdated",
     "BUILD_BETA_DETAIL_EXTERNAL_BUILD_STATE_UPDATED", "oldExternalBuildState", "newExternalBuildState"},
    {EventType::beta_feedback_screenshot_submission_created, "betaFeedbackScreenshotSubmissionCreated",
     "BETA_FEEDBACK_SCREENSHOT_SUBMISSION_CREATED", "", ""},
    {EventType::beta_feedback_crash_submission_created, "betaFeedbackCrashSubmissionCreated",
     "BETA_FEEDBACK_CRASH_SUBMISSION_CREATED", "", ""},
    {EventType::background_asset_version_state_updated, "backgroundAssetVersionStateUpdated",
     "BACKGROUND_ASSET_VERSION_STATE_UPDATED", "oldState", "newState"},
    {EventType::background_asset_version_internal_beta_release_created,
     "backgroundAssetVersionInternalBetaReleaseCreated", "BACKGROUND_ASSET_VERSION_INTERNAL_BETA_RELEASE_CREATED", "",
     ""},
    {EventType::background_asset_version_external_beta_release_state_updated,
     "backgroundAssetVersionExternalBetaReleaseStateUpdated",
     "BACKGROUND_ASSET_VERSION_EXTERNAL_BETA_RELEASE_STATE_UPDATED", "oldState", "newState"},
    {EventType::background_asset_version_app_store_release_state_updated,
     "backgroundAssetVersionAppStoreReleaseStateUpdated", "BACKGROUND_ASSET_VERSION_APP_STORE_RELEASE_STATE_UPDATED",
     "oldState", "newState"},
    {EventType::alternative_distribution_package_version_created, "alternativeDistributionPackageVersionCreated",
     "ALTERNATIVE_DISTRIBUTION_PACKAGE_VERSION_CREATED", "", ""},
    {EventType::alternative_distribution_package_available_updated, "alternativeDistributionPackageAvailableUpdated",
     "ALTERNATIVE_DISTRIBUTION_PACKAGE_AVAILABLE_UPDATED", "", ""},
    {EventType::alternative_distribution_territory_availability_updated,
     "alternativeDistributionTerritoryAvailabilityUpdated", "ALTERNATIVE_DISTRIBUTION_TERRITORY_AVAILABILITY_UPDATED",
     "", ""},
    // Not Apple's: the review poller's own event (Apple sends none for
    // reviews), so it has no subscription.
    {EventType::customer_review_created, "customerReviewCreated", "", "", ""},
    // Not Apple's either: the reconcile pass's verdict on Apple's webhook
    // changed (apple/webhook_health.hpp).
    {EventType::webhook_health_changed, "webhookHealthChanged", "", "", ""},
}};

// Every state value Apple documents for the events' state attributes
// (BuildUploadState, AppVersionState and AppStoreVersionState, the external
// beta and background asset states; Apple's "Webhook notifications" documentation), sorted.
constexpr std::string_view kStates[] = {
    "ACCEPTED", "AWAITING_UPLOAD", "BETA_APPROVED", "BETA_REJECTED", "COMPLETE", "DEVELOPER_REJECTED",
    "DEVELOPER_REMOVED_FROM_SALE", "EXPIRED", "FAILED", "IN_BETA_REVIEW", "IN_BETA_TESTING",
    "IN_EXPORT_COMPLIANCE_REVIEW", "IN_REVIEW", "INVALID_BINARY", "METADATA_REJECTED", "MISSING_EXPORT_COMPLIANCE",
    "NOT_APPLICABLE", "PENDING_APPLE_RELEASE", "PENDING_CONTRACT", "PENDING_DEVELOPER_RELEASE",
    "PREORDER_READY_FOR_SALE", "PREPARE_FOR_SUBMISSION", "PROCESSING", "PROCESSING_EXCEPTION",
    "PROCESSING_FOR_APP_STORE", "PROCESSING_FOR_DISTRIBUTION", "PROCESSING_FOR_TESTING", "READY_FOR_BETA_SUBMISSION",
    "READY_FOR_BETA_TESTING", "READY_FOR_DISTRIBUTION", "READY_FOR_REVIEW", "READY_FOR_SALE", "READY_FOR_TESTING",
    "REJECTED", "REMOVED_FROM_SALE", "REPLACED_WITH_NEW_VERSION", "SUPERSEDED", "WAITING_FOR_BETA_REVIEW",
    "WAITING_FOR_EXPORT_COMPLIANCE", "WAITING_FOR_REVIEW",
};

constexpr auto kTypeNames = [] {
  std::array<std::string_view, kTypes.size()> names{};
  for (std::size_t i = 0; i < kTypes.size(); ++i) names[i] = kTypes[i].name;
  return names;
}();

}  // namespace

std::span<const EventTypeInfo> known_event_types() { return kTypes; }
std::span<const std::string_view> known_event_type_names() { return kTypeNames; }
std::span<const std::string_view> documented_states() { return kStates; }

const EventTypeInfo* find_event_type(std::string_view name) {
  for (const auto& t : kTypes)
    if (t.name == name) return &t;
  return nullptr;
}

std::string_view to_string(EventType t) {
  for (const auto& info : kTypes)
    if (info.type == t) return info.name;
  return "unknown";
}

}  // namespace asc_webhookd::event
