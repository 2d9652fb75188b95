#include "asc_webhookd/actions/slack_message.hpp"

#include <cctype>

namespace asc_webhookd::actions {

using nlohmann::json;

namespace {

// Block Kit limits (outbound-apis.md §2.4).
constexpr std::size_t kHeaderMax = 150;
constexpr std::size_t kFieldMax = 2000;
constexpr std::size_t kSectionMax = 3000;
constexpr std::size_t kFieldsMax = 10;

std::string str(const json& j, std::initializer_list<const char*> path) {
  const json* cur = &j;
  for (const char* k : path) {
    if (!cur->is_object()) return "";
    auto it = cur->find(k);
    if (it == cur->end()) return "";
    cur = &*it;
  }
  if (cur->is_string()) return cur->get<std::string>();
  if (cur->is_number()) return cur->dump();
  return "";
}

std::string emoji_for(const std::string& type, const std::string& state) {
  if (type == "webhookPingCreated") return "🏓";
  if (type == "betaFeedbackCrashSubmissionCreated") return "💥";
  if (type == "betaFeedbackScreenshotSubmissionCreated") return "📸";
  if (state == "READY_FOR_DISTRIBUTION" || state == "READY_FOR_SALE" || state == "COMPLETE" || state == "AVAILABLE" ||
      state == "APPROVED" || state == "BETA_APPROVED" || state == "READY_FOR_BETA_TESTING" || state == "READY_FOR_TESTING")
    return "✅";
  if (state == "REJECTED" || state == "METADATA_REJECTED" || state == "BETA_REJECTED" || state == "INVALID_BINARY" ||
      state == "DEVELOPER_REJECTED")
    return "❌";
  if (state == "FAILED" || state == "PROCESSING_EXCEPTION" || state == "MISSING_EXPORT_COMPLIANCE") return "⚠️";
  if (state == "WAITING_FOR_REVIEW" || state == "WAITING_FOR_BETA_REVIEW") return "⏳";
  if (state == "IN_REVIEW" || state == "IN_BETA_REVIEW") return "🔍";
  if (state == "PENDING_DEVELOPER_RELEASE" || state == "PENDING_APPLE_RELEASE") return "🟢";
  if (state == "PROCESSING" || state == "AWAITING_UPLOAD") return "⚙️";
  return "ℹ️";
}

std::string title_for(const std::string& type, const std::string& state) {
  const std::string h = human_state(state);
  if (type == "webhookPingCreated") return "Webhook ping";
  if (type == "buildUploadStateUpdated") return "Build upload: " + h;
  if (type == "appStoreVersionAppVersionStateUpdated") return h;
  if (type == "buildBetaDetailExternalBuildStateUpdated") return "TestFlight: " + h;
  if (type == "betaFeedbackCrashSubmissionCreated") return "New TestFlight crash report";
  if (type == "betaFeedbackScreenshotSubmissionCreated") return "New TestFlight screenshot feedback";
  if (type.rfind("backgroundAssetVersion", 0) == 0) return "Asset pack: " + (h.empty() ? std::string("new release") : h);
  if (type.rfind("alternativeDistribution", 0) == 0) return "Alternative distribution: " + (h.empty() ? std::string("updated") : h);
  return type + (h.empty() ? "" : ": " + h);
}

json mrkdwn(const std::string& text, std::size_t max) { return {{"type", "mrkdwn"}, {"text", truncate_utf8(text, max)}}; }

}  // namespace

std::string truncate_utf8(const std::string& s, std::size_t max) {
  if (s.size() <= max) return s;
  const std::string ell = "…";
  std::size_t cut = max >= ell.size() ? max - ell.size() : 0;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // not inside a code point
  return s.substr(0, cut) + ell;
}

std::string human_state(const std::string& state) {
  std::string out;
  std::string word;
  auto flush = [&] {
    if (word.empty()) return;
    static const char* small[] = {"for", "of", "to", "in", "and"};
    bool is_small = false;
    for (const char* w : small) is_small = is_small || word == w;
    if (!out.empty()) out += ' ';
    if (!is_small || out.empty()) word[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(word[0])));
    out += word;
    word.clear();
  };
  for (char c : state) {
    if (c == '_') {
      flush();
      continue;
    }
    word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  flush();
  return out;
}

namespace {

// One of Apple's upload errors or warnings ({code, description}) as
// "ITMS-90062: description".
std::string apple_issue_text(const json& e) {
  return (e.contains("code") ? "ITMS-" + str(e, {"code"}) + ": " : "") + str(e, {"description"});
}

// The first error Apple reported on the instance, or "".
std::string first_apple_error(const json& c) {
  const json::json_pointer p("/instance/attributes/state/errors");
  if (!c.contains(p) || !c.at(p).is_array() || c.at(p).empty()) return "";
  return apple_issue_text(c.at(p).front());
}

// The details section: what enrichment brings (Apple's upload errors and
// warnings, a tester's comment and device, a crash log) and, once approved,
// the review durations from history. "" when there is nothing to say.
std::string details_text(const json& c, const std::string& new_state) {
  std::string details;
  if (c.contains("instance")) {
    const json& attrs = c["instance"].value("attributes", json::object());
    if (auto st = attrs.find("state"); st != attrs.end() && st->is_object()) {
      for (const char* kind : {"errors", "warnings"}) {
        if (auto list = st->find(kind); list != st->end() && list->is_array())
          for (const auto& e : *list)
            details += std::string(kind[0] == 'e' ? "❌ " : "⚠️ ") + apple_issue_text(e) + "\n";
      }
    }
    if (auto comment = attrs.find("comment"); comment != attrs.end() && comment->is_string() && !comment->get<std::string>().empty())
      details += "💬 " + comment->get<std::string>() + "\n";
    if (auto shots = attrs.find("screenshots"); shots != attrs.end() && shots->is_array()) {
      int n = 0;
      for (const auto& shot : *shots)  // Apple's URLs expire after a day or so
        if (const std::string url = str(shot, {"url"}); !url.empty() && n < 3)
          details += "🖼 <" + url + "|Screenshot " + std::to_string(++n) + ">\n";
    }
    std::string device = str(attrs, {"deviceModel"});
    if (!device.empty()) details += "📱 " + device + (str(attrs, {"osVersion"}).empty() ? "" : ", " + str(attrs, {"osVersion"})) + "\n";
  }
  const bool approved = new_state == "PENDING_DEVELOPER_RELEASE" || new_state == "PENDING_APPLE_RELEASE" ||
                        new_state == "READY_FOR_DISTRIBUTION" || new_state == "READY_FOR_SALE" || new_state == "ACCEPTED";
  if (approved && c.contains("history") && c["history"].is_object()) {
    for (const auto& [key, label] : {std::pair{"waiting_for_review", "Waiting for review"}, std::pair{"in_review", "In review"},
                                     std::pair{"submission_to_release", "Submission to release"}}) {
      std::string t = str(c, {"history", key, "text"});
      if (!t.empty()) details += "⏱ " + std::string(label) + ": " + t + "\n";
    }
  }
  const std::string crash_log = str(c, {"instance", "crash_log"});
  if (!crash_log.empty()) details += "```" + truncate_utf8(crash_log, 1500) + "```\n";
  // Never silently thin: say what is missing and why (a revoked key shows here).
  const std::string unavailable = str(c, {"enrichment", "error"});
  if (!unavailable.empty() && !c.contains("instance"))
    details += "ℹ️ Details from App Store Connect are unavailable: " + unavailable + "\n";
  const std::string link = str(c, {"links", "app_store_connect"});
  if (!link.empty()) details += "<" + link + "|Open in App Store Connect>\n";
  return details;
}

}  // namespace

json builtin_slack_message(const json& c) {
  const std::string type = str(c, {"event", "type"});
  const std::string old_state = str(c, {"event", "old_state"});
  const std::string new_state = str(c, {"event", "new_state"});
  std::string app = str(c, {"app", "name"});
  if (app.empty()) app = str(c, {"webhook", "app_name"});
  if (app.empty()) app = str(c, {"webhook", "name"});
  const std::string bundle = str(c, {"app", "bundleId"});
  std::string version = str(c, {"instance", "attributes", "versionString"});
  if (version.empty()) version = str(c, {"instance", "attributes", "cfBundleShortVersionString"});
  std::string build = str(c, {"instance", "attributes", "cfBundleVersion"});
  if (build.empty()) build = str(c, {"build", "attributes", "version"});
  const std::string title = title_for(type, new_state);
  const std::string emoji = emoji_for(type, new_state);

  std::string subject = app;
  if (!version.empty()) subject += " " + version + (build.empty() ? "" : " (" + build + ")");
  else if (!build.empty()) subject += " build " + build;

  json blocks = json::array();
  blocks.push_back({{"type", "header"},
                    {"text", {{"type", "plain_text"}, {"text", truncate_utf8(emoji + " " + subject + " — " + title, kHeaderMax)}, {"emoji", true}}}});
  json fields = json::array();
  fields.push_back(mrkdwn("*App:*\n" + app + (bundle.empty() ? "" : " (" + bundle + ")"), kFieldMax));
  if (!version.empty()) fields.push_back(mrkdwn("*Version:*\n" + version, kFieldMax));
  if (!build.empty()) fields.push_back(mrkdwn("*Build:*\n" + build, kFieldMax));
  if (!new_state.empty())
    fields.push_back(mrkdwn("*State:*\n" + (old_state.empty() ? "" : human_state(old_state) + " → ") + human_state(new_state), kFieldMax));
  const std::string instance_type = str(c, {"event", "instance", "type"});
  const std::string instance_id = str(c, {"event", "instance", "id"});
  if (!instance_id.empty()) fields.push_back(mrkdwn("*ASC resource:*\n" + instance_type + " `" + instance_id + "`", kFieldMax));
  while (fields.size() > kFieldsMax) fields.erase(fields.end() - 1);
  blocks.push_back({{"type", "section"}, {"fields", fields}});

  std::string details = details_text(c, new_state);
  if (!details.empty()) {
    details.pop_back();
    blocks.push_back({{"type", "section"}, {"text", mrkdwn(details, kSectionMax)}});
  }
  std::string context = "ASC event `" + str(c, {"event", "id"}) + "` · " + type;
  const std::string ts = str(c, {"event", "timestamp"});
  if (!ts.empty()) context += " · " + ts;
  const std::string rule = str(c, {"rule", "name"});
  if (!rule.empty()) context += " · rule `" + rule + "`";
  blocks.push_back({{"type", "context"}, {"elements", json::array({mrkdwn(context, kSectionMax)})}});

  std::string text = emoji + " " + subject + ": " + title;
  if (!old_state.empty() && !new_state.empty()) text += " (" + human_state(old_state) + " → " + human_state(new_state) + ")";
  // The push notification shows only `text`: a failure says its first error.
  const std::string first_error = first_apple_error(c);
  if (!first_error.empty()) text += " — " + truncate_utf8(first_error, 300);
  return {{"text", text}, {"blocks", blocks}};
}

}  // namespace asc_webhookd::actions
