// The built-in message's content, read from the template data (the event,
// and what enrichment added: instance, app, build, history, links).
#include "asc_webhookd/integrations/common/notice.hpp"

#include <cctype>
#include <cstdlib>

namespace asc_webhookd::actions {

using nlohmann::json;

namespace {

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

Tone tone_for(const std::string& emoji) {
  if (emoji == "✅") return Tone::good;
  if (emoji == "❌" || emoji == "💥") return Tone::bad;
  if (emoji == "⚠️") return Tone::warning;
  return Tone::info;
}

std::string title_for(const std::string& type, const std::string& state) {
  const std::string h = human_state(state);
  if (type == "webhookPingCreated") return "Webhook ping";
  if (type == "webhookHealthChanged") return "Apple's webhook";
  if (type == "buildUploadStateUpdated") return "Build upload: " + h;
  if (type == "appStoreVersionAppVersionStateUpdated") return h;
  if (type == "buildBetaDetailExternalBuildStateUpdated") return "TestFlight: " + h;
  if (type == "betaFeedbackCrashSubmissionCreated") return "New TestFlight crash report";
  if (type == "betaFeedbackScreenshotSubmissionCreated") return "New TestFlight screenshot feedback";
  if (type.rfind("backgroundAssetVersion", 0) == 0) return "Asset pack: " + (h.empty() ? std::string("new release") : h);
  if (type.rfind("alternativeDistribution", 0) == 0) return "Alternative distribution: " + (h.empty() ? std::string("updated") : h);
  return type + (h.empty() ? "" : ": " + h);
}

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

// What enrichment brings (Apple's upload errors and warnings, a tester's
// comment and device, a crash log) and, once approved, the review durations
// from history; or why the details are missing.
std::vector<NoticeLine> details_of(const json& c, const std::string& new_state) {
  std::vector<NoticeLine> out;
  if (c.contains("instance")) {
    const json& attrs = c["instance"].value("attributes", json::object());
    if (auto st = attrs.find("state"); st != attrs.end() && st->is_object()) {
      for (const char* kind : {"errors", "warnings"}) {
        if (auto list = st->find(kind); list != st->end() && list->is_array())
          for (const auto& e : *list) out.push_back({kind[0] == 'e' ? "❌" : "⚠️", apple_issue_text(e), "", false});
      }
    }
    if (auto comment = attrs.find("comment"); comment != attrs.end() && comment->is_string() && !comment->get<std::string>().empty())
      out.push_back({"💬", comment->get<std::string>(), "", false});
    if (auto shots = attrs.find("screenshots"); shots != attrs.end() && shots->is_array()) {
      int n = 0;
      for (const auto& shot : *shots)  // Apple's URLs expire after a day or so
        if (const std::string url = str(shot, {"url"}); !url.empty() && n < 3)
          out.push_back({"🖼", "Screenshot " + std::to_string(++n), url, false});
    }
    std::string device = str(attrs, {"deviceModel"});
    if (!device.empty())
      out.push_back({"📱", device + (str(attrs, {"osVersion"}).empty() ? "" : ", " + str(attrs, {"osVersion"})), "", false});
  }
  const bool approved = new_state == "PENDING_DEVELOPER_RELEASE" || new_state == "PENDING_APPLE_RELEASE" ||
                        new_state == "READY_FOR_DISTRIBUTION" || new_state == "READY_FOR_SALE" || new_state == "ACCEPTED";
  if (approved && c.contains("history") && c["history"].is_object()) {
    for (const auto& [key, label] : {std::pair{"waiting_for_review", "Waiting for review"}, std::pair{"in_review", "In review"},
                                     std::pair{"submission_to_release", "Submission to release"}}) {
      std::string t = str(c, {"history", key, "text"});
      if (!t.empty()) out.push_back({"⏱", std::string(label) + ": " + t, "", false});
    }
  }
  const std::string crash_log = str(c, {"instance", "crash_log"});
  if (!crash_log.empty()) out.push_back({"", truncate_utf8(crash_log, 1500), "", true});
  // Never silently thin: say what is missing and why (a revoked key shows here).
  const std::string unavailable = str(c, {"enrichment", "error"});
  if (!unavailable.empty() && !c.contains("instance"))
    out.push_back({"ℹ️", "Details from App Store Connect are unavailable: " + unavailable, "", false});
  return out;
}

// A customer review's message reads like the review: the title and the
// body (a long one cut), who and where from, the developer response if
// there is one, and the link to the app's reviews in App Store Connect. The
// stars are in the title; no fact table.
constexpr std::size_t kReviewBodyMax = 1200;

void review_notice(const json& c, Notice& n) {
  const int rating = std::atoi(str(c, {"review", "rating"}).c_str());
  const std::string stars = str(c, {"review", "stars"});
  const std::string title = str(c, {"review", "title"});
  const std::string territory = str(c, {"review", "territory"});
  n.emoji = rating <= 2 ? "👎" : rating == 3 ? "😐" : "⭐";
  n.tone = rating <= 2 ? Tone::bad : rating == 3 ? Tone::warning : Tone::good;
  n.title = "New review " + stars;
  n.facts.clear();
  n.details.clear();
  if (!title.empty()) n.details.push_back({"💬", "“" + title + "”", "", false});
  if (const std::string body = str(c, {"review", "body"}); !body.empty())
    n.details.push_back({"", truncate_utf8(body, kReviewBodyMax), "", false});
  std::string from = str(c, {"review", "nickname"});
  if (!territory.empty()) from += (from.empty() ? "" : ", ") + territory;
  if (!from.empty()) n.details.push_back({"", "— " + from, "", false});
  if (const std::string answer = str(c, {"review", "response"}); !answer.empty()) {
    const std::string state = human_state(str(c, {"review", "response_state"}));
    n.details.push_back({"↩️", "Response" + (state.empty() ? "" : " (" + state + ")") + ": " +
                                   truncate_utf8(answer, kReviewBodyMax / 2), "", false});
  }
  if (const std::string link = str(c, {"links", "review"}); !link.empty()) n.link = link;
  n.summary = n.emoji + " " + n.subject + ": " + stars + (title.empty() ? "" : " “" + truncate_utf8(title, 200) + "”") +
              (territory.empty() ? "" : " (" + territory + ")");
}

// Apple's webhook's verdict changed (webhookHealthChanged): each problem
// is a line that names the fix; "healthy again" says what was wrong.
void health_notice(const json& c, Notice& n) {
  const json& h = c["health"];
  const bool healthy = h.value("healthy", false);
  auto lines = [&h](const char* key) {
    std::vector<std::string> out;
    if (auto it = h.find(key); it != h.end() && it->is_array())
      for (const auto& p : *it)
        if (p.is_string()) out.push_back(p.get<std::string>());
    return out;
  };
  const auto problems = lines("problems");
  const auto previous = lines("previous");
  n.emoji = healthy ? "✅" : "🚨";
  n.tone = healthy ? Tone::good : Tone::bad;
  n.title = healthy ? "Apple's webhook is healthy again" : "Apple's webhook needs attention: events may not arrive";
  n.facts = {{"Webhook", str(c, {"webhook", "name"}), ""}};
  n.details.clear();
  for (const auto& p : problems) n.details.push_back({"⚠️", p, "", false});
  if (healthy)
    for (const auto& p : previous) n.details.push_back({"", "Was: " + p, "", false});
  n.summary = n.emoji + " " + n.subject + ": " + n.title;
  if (!problems.empty()) n.summary += " — " + truncate_utf8(problems.front(), 300);
}

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

Notice build_notice(const json& c) {
  Notice n;
  n.type = str(c, {"event", "type"});
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
  n.title = title_for(n.type, new_state);
  n.emoji = emoji_for(n.type, new_state);
  n.tone = tone_for(n.emoji);

  n.subject = app;
  if (!version.empty()) n.subject += " " + version + (build.empty() ? "" : " (" + build + ")");
  else if (!build.empty()) n.subject += " build " + build;

  n.facts.push_back({"App", app + (bundle.empty() ? "" : " (" + bundle + ")"), ""});
  if (!version.empty()) n.facts.push_back({"Version", version, ""});
  if (!build.empty()) n.facts.push_back({"Build", build, ""});
  if (!new_state.empty())
    n.facts.push_back({"State", (old_state.empty() ? "" : human_state(old_state) + " → ") + human_state(new_state), ""});
  const std::string instance_id = str(c, {"event", "instance", "id"});
  if (!instance_id.empty()) n.facts.push_back({"ASC resource", str(c, {"event", "instance", "type"}), instance_id});

  n.details = details_of(c, new_state);
  n.link = str(c, {"links", "app_store_connect"});
  n.event_id = str(c, {"event", "id"});
  n.timestamp = str(c, {"event", "timestamp"});
  n.rule = str(c, {"rule", "name"});

  n.summary = n.emoji + " " + n.subject + ": " + n.title;
  if (!old_state.empty() && !new_state.empty()) n.summary += " (" + human_state(old_state) + " → " + human_state(new_state) + ")";
  // The push notification shows only the summary: a failure says its first error.
  const std::string first_error = first_apple_error(c);
  if (!first_error.empty()) n.summary += " — " + truncate_utf8(first_error, 300);
  if (c.contains("review")) review_notice(c, n);
  if (c.contains("health") && c["health"].is_object()) health_notice(c, n);
  return n;
}

std::string markdown_line(const NoticeLine& l, bool fences) {
  if (l.code) return fences ? "```\n" + l.text + "\n```" : l.text;
  const std::string text = l.url.empty() ? l.text : "[" + l.text + "](" + l.url + ")";
  return l.icon.empty() ? text : l.icon + " " + text;
}

std::string context_line(const Notice& n) {
  std::string s = "ASC event " + n.event_id + " · " + n.type;
  if (!n.timestamp.empty()) s += " · " + n.timestamp;
  if (!n.rule.empty()) s += " · rule " + n.rule;
  return s;
}

}  // namespace asc_webhookd::actions
