#include "asc_webhookd/enrich/history.hpp"

#include "asc_webhookd/core/clock.hpp"

#include <algorithm>
#include <cctype>
#include <map>

namespace asc_webhookd::enrich {

using nlohmann::json;

namespace {

std::int64_t at_ms(const store::HistoryEntry& e) { return e.event_time_ns ? *e.event_time_ns / 1'000'000 : e.received_at_ms; }

json span(std::int64_t ms) {
  const std::int64_t s = std::max<std::int64_t>(0, ms / 1000);
  return {{"seconds", s}, {"text", human_duration(s)}};
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool released(const std::string& s) { return s == "READY_FOR_DISTRIBUTION" || s == "READY_FOR_SALE"; }

}  // namespace

std::string human_duration(std::int64_t seconds) {
  if (seconds < 60) return std::to_string(seconds) + "s";
  const std::int64_t d = seconds / 86400, h = seconds % 86400 / 3600, m = seconds % 3600 / 60;
  std::string out;
  if (d) out += std::to_string(d) + "d ";
  if (d || h) out += std::to_string(h) + "h ";
  out += std::to_string(m) + "m";
  return out;
}

json history_data(const std::vector<store::HistoryEntry>& in) {
  std::vector<store::HistoryEntry> e = in;
  std::stable_sort(e.begin(), e.end(), [](const auto& a, const auto& b) { return at_ms(a) < at_ms(b); });
  json out = json::object();
  json states = json::array();
  std::map<std::string, std::int64_t> totals;
  for (std::size_t i = 0; i < e.size(); ++i) {
    json s = {{"state", e[i].state}, {"at", format_utc(at_ms(e[i]))}};
    if (i + 1 < e.size()) {
      const std::int64_t d = at_ms(e[i + 1]) - at_ms(e[i]);
      s["duration"] = span(d);
      totals[e[i].state] += d;
    }
    states.push_back(std::move(s));
  }
  out["states"] = std::move(states);
  for (const auto& [state, ms] : totals) out[lower(state)] = span(ms);
  // The last review round.
  for (std::size_t i = e.size(); i-- > 0;) {
    if (e[i].state != "IN_REVIEW") continue;
    if (i > 0) out["waiting_for_review"] = span(at_ms(e[i]) - at_ms(e[i - 1]));
    if (i + 1 < e.size()) out["in_review"] = span(at_ms(e[i + 1]) - at_ms(e[i]));
    else out.erase("in_review");  // still in review
    break;
  }
  for (std::size_t i = 0; i < e.size(); ++i) {
    if (e[i].state != "WAITING_FOR_REVIEW") continue;
    for (std::size_t j = i + 1; j < e.size(); ++j) {
      if (released(e[j].state)) {
        out["submission_to_release"] = span(at_ms(e[j]) - at_ms(e[i]));
        break;
      }
    }
    break;
  }
  return out;
}

}  // namespace asc_webhookd::enrich
