#pragma once
// `feedback.*`: a TestFlight tester's screenshot or crash feedback as
// templates and ticket actions read it, taken from what enrichment fetched
// (the submission, its build, the crash log): comment, email, device_model,
// os_version, app_version, build_number, locale, battery, connection,
// screenshots [{url, width, height, expires}], crash_log (cut at 64 KiB).
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace asc_webhookd::enrich {

inline constexpr std::size_t kFeedbackCrashLogMax = 64 * 1024;

// The `feedback` member for a context that holds a feedback submission as
// `instance` (null when it holds none).
nlohmann::json feedback_data(const nlohmann::json& context);

// The signed part (the query) of each screenshot URL in the context's
// `feedback`: a credential for as long as it lives, so masked wherever a
// request that carries it is recorded.
std::vector<std::string> screenshot_signatures(const nlohmann::json& context);

}  // namespace asc_webhookd::enrich
