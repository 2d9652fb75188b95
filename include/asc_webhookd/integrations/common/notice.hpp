#pragma once
// What a built-in message says about an event, before any service's format:
// the subject (app, version, build), a title for the type and state, the
// facts, the details enrichment brings (Apple's upload errors, a tester's
// comment, review durations, a crash log, or why the details are missing),
// the App Store Connect link and a tone. Each integration's built-in message
// (blocks, a card, an embed) is a rendering of one Notice.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace asc_webhookd::actions {

enum class Tone { good, bad, warning, info };

struct NoticeLine {
  std::string icon;  // an emoji, or ""
  std::string text;
  std::string url;   // the line is a link to this
  bool code = false; // preformatted (a crash log)
};

struct NoticeFact {
  std::string name, value;
  std::string code;  // an id after the value, shown as code where the service can
};

struct Notice {
  std::string type;     // the event's data.type
  std::string emoji;
  Tone tone = Tone::info;
  std::string subject;  // "MyApp 2.3.0 (456)"
  std::string title;    // "Ready for Distribution", "Build upload: Failed"
  std::vector<NoticeFact> facts;
  std::vector<NoticeLine> details;
  std::string link;     // App Store Connect, or ""
  std::string event_id, timestamp, rule;  // for the context line
  std::string summary;  // one line for a push notification, with Apple's first error
};

Notice build_notice(const nlohmann::json& context);

// "READY_FOR_DISTRIBUTION" → "Ready for Distribution"
std::string human_state(const std::string& state);

// Cuts `s` to at most `max` bytes on a UTF-8 boundary, ending in "…" when cut.
std::string truncate_utf8(const std::string& s, std::size_t max);

// A line in the Markdown most chat services read: [text](url)
// links, and ``` fences around code when `fences`.
std::string markdown_line(const NoticeLine& l, bool fences);
// "ASC event <id> · <type> · <timestamp> · rule <rule>": a message's footer.
std::string context_line(const Notice& n);

}  // namespace asc_webhookd::actions
