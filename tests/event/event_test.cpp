#include "asc_webhookd/event/event.hpp"

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

namespace asc_webhookd::event {
namespace {

struct Expected {
  const char* file;
  EventType type;
  const char* old_state;  // nullptr = absent
  const char* new_state;
  const char* instance_type;  // nullptr = no instance
  const char* instance_id;
  bool instance_url;
  bool has_version;
};

constexpr const char* A = nullptr;  // absent

const Expected kFixtures[] = {
    {"events/webhookPingCreated.json", EventType::webhook_ping_created, A, A, A, A, false, true},
    // The review poller's events (Apple sends none): the instance with its API link.
    {"events/customerReviewCreated-1star.json", EventType::customer_review_created, A, A, "customerReviews",
     "00000070-1c2e-0014-9a31-7b4200000000", true, true},
    {"events/customerReviewCreated-5star.json", EventType::customer_review_created, A, A, "customerReviews",
     "00000070-1c2d-0014-2f88-0c9100000000", true, true},
    {"events/appStoreVersionAppVersionStateUpdated.json", EventType::app_store_version_app_version_state_updated,
     "PREPARE_FOR_SUBMISSION", "READY_FOR_REVIEW", "appStoreVersions", "ad7e6298-2570-4ca6-b3cc-f81788e40bdc", false, true},
    {"events/appStoreVersionAppVersionStateUpdated-REJECTED.json", EventType::app_store_version_app_version_state_updated,
     "IN_REVIEW", "REJECTED", "appStoreVersions", "b2a1c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d", true, true},
    {"events/buildUploadStateUpdated.json", EventType::build_upload_state_updated, A, "COMPLETE", "buildUploads",
     "ad7e6298-2570-4ca6-b3cc-f81788e40bdc", false, true},
    {"events/buildBetaDetailExternalBuildStateUpdated.json", EventType::build_beta_detail_external_build_state_updated,
     "IN_BETA_REVIEW", "BETA_APPROVED", "buildBetaDetails", "ad7e6298-2570-4ca6-b3cc-f81788e40bdc", false, true},
    {"events/betaFeedbackScreenshotSubmissionCreated.json", EventType::beta_feedback_screenshot_submission_created, A, A,
     "betaFeedbackScreenshotSubmissions", "AD8JvKbr0BK0Cj9OnM6WO6I", true, true},
    {"events/betaFeedbackCrashSubmissionCreated.json", EventType::beta_feedback_crash_submission_created, A, A,
     "betaFeedbackCrashSubmissions", "AK7UjG-qL5QxXf3gIOGjbpQ", true, true},
    {"events/backgroundAssetVersionStateUpdated.json", EventType::background_asset_version_state_updated, "PROCESSING",
     "FAILED", "backgroundAssetVersions", "7012050b-e2a4-4a2c-bb98-f2b30cfdfaaf", true, false},
    {"events/backgroundAssetVersionInternalBetaReleaseCreated.json",
     EventType::background_asset_version_internal_beta_release_created, A, A,
     "backgroundAssetVersionInternalBetaReleases", "eee09d96-b9c2-4038-a179-4093187fc1f5", true, false},
    {"events/backgroundAssetVersionExternalBetaReleaseStateUpdated.json",
     EventType::background_asset_version_external_beta_release_state_updated, "IN_REVIEW", "REJECTED",
     "backgroundAssetVersionExternalBetaReleases", "83c5efef-4c73-454f-8c3e-8537b7491fbe", true, false},
    {"events/backgroundAssetVersionAppStoreReleaseStateUpdated.json",
     EventType::background_asset_version_app_store_release_state_updated, "PROCESSING_FOR_DISTRIBUTION",
     "READY_FOR_DISTRIBUTION", "backgroundAssetVersionAppStoreReleases", "ca76cfb1-befc-4071-8012-189e5b8d6ef1", true,
     false},
    {"events/alternativeDistributionPackageVersionCreated.json",
     EventType::alternative_distribution_package_version_created, A, A, "alternativeDistributionPackageVersions",
     "8d50a4f6-7653-4ccc-b9e2-b0133eb9b0d3", true, true},
    {"events/alternativeDistributionPackageAvailableUpdated.json",
     EventType::alternative_distribution_package_available_updated, A, A, "alternativeDistributionPackages",
     "2c1f9a54-44a4-4a5e-a1a0-5b0f2d1e9c33", true, true},
    {"events/alternativeDistributionTerritoryAvailabilityUpdated.json",
     EventType::alternative_distribution_territory_availability_updated, A, A, A, A, false, true},
    {"events/seed/01-buildUploadStateUpdated-COMPLETE.json", EventType::build_upload_state_updated, "PROCESSING",
     "COMPLETE", "buildUploads", "c0ffee00-1234-4abc-9def-0123456789ab", true, true},
    {"events/seed/02-buildUploadStateUpdated-FAILED.json", EventType::build_upload_state_updated, "PROCESSING",
     "FAILED", "buildUploads", "c0ffee00-1234-4abc-9def-0123456789ab", true, true},
    {"events/seed/03-appStoreVersionAppVersionStateUpdated-PREPARE_FOR_SUBMISSION.json",
     EventType::app_store_version_app_version_state_updated, "DEVELOPER_REJECTED", "PREPARE_FOR_SUBMISSION", "appStoreVersions",
     "b2a1c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d", true, true},
    {"events/seed/04-appStoreVersionAppVersionStateUpdated-READY_FOR_REVIEW.json",
     EventType::app_store_version_app_version_state_updated, "PREPARE_FOR_SUBMISSION", "READY_FOR_REVIEW", "appStoreVersions",
     "b2a1c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d", true, true},
    {"events/seed/05-appStoreVersionAppVersionStateUpdated-WAITING_FOR_REVIEW.json",
     EventType::app_store_version_app_version_state_updated, "READY_FOR_REVIEW", "WAITING_FOR_REVIEW",
     "appStoreVersions", "b2a1c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d", true, true},
    {"events/seed/06-appStoreVersionAppVersionStateUpdated-DEVELOPER_REJECTED.json",
     EventType::app_store_version_app_version_state_updated, "WAITING_FOR_REVIEW", "DEVELOPER_REJECTED", "appStoreVersions",
     "b2a1c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d", true, true},
    {"events/seed/07-appStoreVersionAppVersionStateUpdated-IN_REVIEW.json",
     EventType::app_store_version_app_version_state_updated, "WAITING_FOR_REVIEW", "IN_REVIEW", "appStoreVersions",
     "b2a1c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d", true, true},
    {"events/seed/08-appStoreVersionAppVersionStateUpdated-PENDING_DEVELOPER_RELEASE.json",
     EventType::app_store_version_app_version_state_updated, "IN_REVIEW", "PENDING_DEVELOPER_RELEASE",
     "appStoreVersions", "b2a1c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d", true, true},
    {"events/seed/09-appStoreVersionAppVersionStateUpdated-READY_FOR_DISTRIBUTION.json",
     EventType::app_store_version_app_version_state_updated, "PENDING_DEVELOPER_RELEASE", "READY_FOR_DISTRIBUTION",
     "appStoreVersions", "b2a1c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d", true, true},
    {"events/seed/10-appStoreVersionAppVersionStateUpdated-REJECTED.json", EventType::app_store_version_app_version_state_updated,
     "IN_REVIEW", "REJECTED", "appStoreVersions", "c3b2d4e5-6f70-4b8c-9dae-1f2a3b4c5d6e", true, true},
    {"events/seed/11-betaFeedbackScreenshotSubmissionCreated.json", EventType::beta_feedback_screenshot_submission_created,
     A, A, "betaFeedbackScreenshotSubmissions", "AD8JvKbr0BK0Cj9OnM6WO6I", true, true},
    {"events/seed/12-betaFeedbackCrashSubmissionCreated.json", EventType::beta_feedback_crash_submission_created, A, A,
     "betaFeedbackCrashSubmissions", "AK7UjG-qL5QxXf3gIOGjbpQ", true, true},
};

void PrintTo(const Expected& x, std::ostream* os) { *os << x.file; }

class FixtureTest : public ::testing::TestWithParam<Expected> {};

TEST_P(FixtureTest, DecodesIntoTheRightTypedEvent) {
  const auto& x = GetParam();
  auto body = test::fixture(x.file);
  ASSERT_FALSE(body.empty()) << x.file;
  auto ev = decode_event(body);
  ASSERT_TRUE(ev) << ev.error().message;
  EXPECT_EQ(ev->type, x.type);
  EXPECT_EQ(ev->raw, body);
  EXPECT_FALSE(ev->id.empty());
  auto opt = [](const char* s) { return s ? std::optional<std::string>(s) : std::nullopt; };
  EXPECT_EQ(ev->old_state, opt(x.old_state));
  EXPECT_EQ(ev->new_state, opt(x.new_state));
  if (x.instance_type) {
    ASSERT_TRUE(ev->instance);
    EXPECT_EQ(ev->instance->type, x.instance_type);
    EXPECT_EQ(ev->instance->id, x.instance_id);
    EXPECT_EQ(!ev->instance->url.empty(), x.instance_url);
    if (x.instance_url) {
      EXPECT_NE(ev->instance->url.find(ev->instance->id), std::string::npos);
    }
  } else {
    EXPECT_FALSE(ev->instance);
  }
  EXPECT_EQ(ev->version.has_value(), x.has_version);
}

INSTANTIATE_TEST_SUITE_P(AllFixtures, FixtureTest, ::testing::ValuesIn(kFixtures), [](const auto& param_info) {
  std::string name = std::filesystem::path(param_info.param.file).stem().string();
  for (auto& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
});

TEST(Event, EveryFixtureFileIsCoveredByTheTable) {
  std::set<std::string> listed;
  for (const auto& x : kFixtures) listed.insert(x.file);
  for (const auto& dir : {"events", "events/seed"})
    for (const auto& e : std::filesystem::directory_iterator(std::string(ASC_WEBHOOKD_FIXTURES) + "/" + dir))
      if (e.path().extension() == ".json") {
        EXPECT_TRUE(listed.count(std::string(dir) + "/" + e.path().filename().string())) << e.path();
      }
}

TEST(Event, AlternativeDistributionDetails) {
  auto ev = decode_event(test::fixture("events/alternativeDistributionTerritoryAvailabilityUpdated.json"));
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->app_id, "10795428705");
  EXPECT_EQ(ev->available, true);
  EXPECT_EQ(ev->territories, (std::vector<std::string>{"DNK", "IRL", "NLD"}));
  ASSERT_TRUE(ev->marketplace_app);
  EXPECT_EQ(ev->marketplace_app->type, "apps");
  EXPECT_EQ(ev->marketplace_app->id, "10738627177");
}

TEST(Event, NanosecondTimestamps) {
  auto ev = decode_event(test::fixture("events/webhookPingCreated.json"));
  ASSERT_TRUE(ev && ev->timestamp);
  EXPECT_EQ(ev->timestamp->text, "2025-06-09T10:09:30.123456789Z");
  EXPECT_EQ(ev->timestamp->unix_nanos % 1'000'000'000, 123456789);
  EXPECT_EQ(parse_rfc3339_nanos("1970-01-01T00:00:01Z"), 1'000'000'000);
  EXPECT_EQ(parse_rfc3339_nanos("1970-01-01T01:00:00+01:00"), 0);
  EXPECT_EQ(parse_rfc3339_nanos("2025-05-08T01:29:36.16Z").value() % 1'000'000'000, 160'000'000);
  for (const char* bad : {"", "2025-05-08", "2025-05-08T01:29:36", "2025-13-08T01:29:36Z", "2025-05-08T01:29:36.Z",
                          "2025-05-08T01:29:36Zjunk"})
    EXPECT_FALSE(parse_rfc3339_nanos(bad)) << bad;
}

TEST(Event, UnknownTypeIsKeptWithItsStates) {
  auto ev = decode_event(R"({"data":{"type":"appClipStateUpdated","id":"x1","attributes":{"oldState":"A","newState":"B"}}})");
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->type, EventType::unknown);
  EXPECT_EQ(ev->type_name, "appClipStateUpdated");
  EXPECT_EQ(ev->old_state, "A");
  EXPECT_EQ(ev->new_state, "B");
}

TEST(Event, UnknownStateValuesAreKeptAsStrings) {
  auto ev = decode_event(
      R"({"data":{"type":"appStoreVersionAppVersionStateUpdated","id":"x","version":1,"attributes":{"oldValue":"SOMETHING_NEW","newValue":"EVEN_NEWER"}}})");
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->old_state, "SOMETHING_NEW");
  EXPECT_EQ(ev->new_state, "EVEN_NEWER");
}

TEST(Event, OtherSpellingOfStatesIsAccepted) {
  // Community payloads put oldValue/newValue on build uploads; accept both.
  auto ev = decode_event(R"({"data":{"type":"buildUploadStateUpdated","id":"x","attributes":{"newValue":"FAILED"}}})");
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->new_state, "FAILED");
}

struct Bad {
  const char* body;
  const char* message;
};

void PrintTo(const Bad& b, std::ostream* os) { *os << b.body; }

class BadBodyTest : public ::testing::TestWithParam<Bad> {};

TEST_P(BadBodyTest, IsRefusedWithAMessageNamingTheProblem) {
  auto ev = decode_event(GetParam().body);
  ASSERT_FALSE(ev);
  EXPECT_NE(ev.error().message.find(GetParam().message), std::string::npos) << ev.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Bodies, BadBodyTest,
    ::testing::Values(Bad{"", "not valid JSON"}, Bad{"not json", "not valid JSON"}, Bad{"[1,2]", "not a JSON object"},
                      Bad{"{}", "no \"data\" object"}, Bad{R"({"data":[]})", "no \"data\" object"},
                      Bad{R"({"data":{"id":"x"}})", "data.type"}, Bad{R"({"data":{"type":"","id":"x"}})", "data.type"},
                      Bad{R"({"data":{"type":"t"}})", "data.id"}, Bad{R"({"data":{"type":"t","id":7}})", "data.id"},
                      Bad{R"({"data":{"type":"t","id":"x","version":"1"}})", "data.version"},
                      Bad{R"({"data":{"type":"t","id":"x","attributes":[]}})", "data.attributes"},
                      Bad{R"({"data":{"type":"t","id":"x","attributes":{"timestamp":"yesterday"}}})", "timestamp"},
                      Bad{R"({"data":{"type":"buildUploadStateUpdated","id":"x","attributes":{"newState":3}}})",
                          "newState"},
                      Bad{R"({"data":{"type":"t","id":"x","relationships":{"instance":{"data":{"type":"a"}}}}})",
                          "data.relationships.instance"}));

TEST(Event, DeepNestingIsRefused) {
  std::string body = R"({"data":{"type":"t","id":"x","attributes":{"deep":)" + std::string(200, '[') +
                     std::string(200, ']') + "}}}";
  auto ev = decode_event(body);
  ASSERT_FALSE(ev);
  EXPECT_NE(ev.error().message.find("deeper"), std::string::npos);
}

}  // namespace
}  // namespace asc_webhookd::event
