// Feedback files for tickets: screenshots downloaded (again from Apple when
// their URL expired), the crash log as a text file.
#include "asc_webhookd/integrations/common/feedback_files.hpp"

#include "asc_webhookd/event/event.hpp"

#include <algorithm>
#include <cstdio>
#include <random>

namespace asc_webhookd::actions::detail {

using nlohmann::json;
namespace net = boost::asio;

namespace {

constexpr std::size_t kScreenshotMax = 64 * 1024 * 1024;

std::string text(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string extension_of(const std::string& content_type) {
  if (content_type.rfind("image/png", 0) == 0) return "png";
  if (content_type.rfind("image/jpeg", 0) == 0) return "jpg";
  if (content_type.rfind("image/heic", 0) == 0) return "heic";
  return "img";
}

// Past its expirationDate (a URL without one is tried as it is).
bool expired(const json& shot, std::int64_t now_ms) {
  const std::string when = text(shot, "expires");
  if (when.empty()) return false;
  auto ns = event::parse_rfc3339_nanos(when);
  return ns && *ns / 1'000'000 <= now_ms;
}

// The URL's query is its signature (treated as a credential: never shown).
outbound::ClientRequest download_request(const std::string& url, const Job& job) {
  outbound::ClientRequest req;
  req.method = "GET";
  req.url = url;
  req.timeout = job.config.delivery.timeout;
  req.max_response = kScreenshotMax;
  if (auto q = url.find('?'); q != std::string::npos && q + 1 < url.size()) req.secrets.push_back(url.substr(q + 1));
  return req;
}

bool answered_expired(const Outcome& out) { return out.result.status == 403u || out.result.status == 410u; }

// An expired URL (by its date, or by the answer): the submission is asked of
// Apple once more, for URLs that work now. False when that was done already
// or brought nothing for screenshot `i`.
net::awaitable<bool> refresh(Services& s, json& shots, bool& refreshed, std::size_t i) {
  if (refreshed || !s.fresh_screenshots) co_return false;
  refreshed = true;
  auto again = co_await s.fresh_screenshots();
  if (!again || !again->is_array() || again->size() <= i) co_return false;
  shots = std::move(*again);
  co_return true;
}

}  // namespace

net::awaitable<std::optional<std::vector<AttachedFile>>> feedback_files(const Job& job, Services& s, Outcome& out,
                                                                       const std::vector<std::string>& kinds) {
  std::vector<AttachedFile> files;
  const auto fb = job.context.find("feedback");
  if (fb == job.context.end() || !fb->is_object()) co_return files;
  const bool screenshots = std::find(kinds.begin(), kinds.end(), "screenshots") != kinds.end();
  const bool crash_log = std::find(kinds.begin(), kinds.end(), "crash_log") != kinds.end();
  if (screenshots) {
    json shots = fb->value("screenshots", json::array());
    bool refreshed = false;
    for (std::size_t i = 0; i < shots.size(); ++i) {
      if (expired(shots[i], s.clock.now_ms())) co_await refresh(s, shots, refreshed, i);
      std::optional<outbound::ClientResponse> got;
      for (int round = 0; round < 2 && !got; ++round) {
        auto req = download_request(text(shots[i], "url"), job);
        got = co_await send(s, out, std::move(req), outbound::kPlainHttp);
        if (got || !answered_expired(out)) break;
        if (!co_await refresh(s, shots, refreshed, i)) break;
      }
      if (!got) {
        if (answered_expired(out))
          retry_later(out, "screenshot " + std::to_string(i + 1) + ": its URL answered " + std::to_string(*out.result.status) +
                               (refreshed ? " also after it was read again from Apple" : " and it could not be read again from Apple"));
        else
          out.decision.reason = "screenshot " + std::to_string(i + 1) + ": " + out.decision.reason;
        co_return std::nullopt;
      }
      const std::string type = got->header("content-type").empty() ? "image/png" : got->header("content-type");
      out.result.body = "(" + std::to_string(got->body.size()) + " bytes of " + type + ")";  // the record keeps text
      files.push_back({"screenshot-" + std::to_string(i + 1) + "." + extension_of(type), type, std::move(got->body)});
    }
  }
  if (crash_log) {
    const std::string log = fb->value("crash_log", std::string());
    if (!log.empty()) files.push_back({"crash_log.txt", "text/plain; charset=utf-8", log});
  }
  co_return files;
}

std::string size_text(std::size_t bytes) {
  char size[32];
  if (bytes >= 1024 * 1024) std::snprintf(size, sizeof size, "%.1f MB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  else if (bytes >= 1024) std::snprintf(size, sizeof size, "%.1f KB", static_cast<double>(bytes) / 1024.0);
  else std::snprintf(size, sizeof size, "%zu bytes", bytes);
  return size;
}

std::string file_label(const std::string& name, std::size_t bytes) { return name + " (" + size_text(bytes) + ")"; }

std::vector<std::string> feedback_lines(const json& context) {
  std::vector<std::string> lines;
  const auto fb = context.find("feedback");
  if (fb == context.end() || !fb->is_object()) return lines;
  const auto& f = *fb;
  const std::string comment = text(f, "comment");
  lines.push_back("Tester comment: " + (comment.empty() ? std::string("(none)") : comment));
  std::string device = text(f, "device_model");
  if (!text(f, "os_version").empty()) device += (device.empty() ? "" : ", ") + std::string("OS ") + text(f, "os_version");
  if (!device.empty()) lines.push_back("Device: " + device);
  std::string build = text(f, "app_version");
  if (!text(f, "build_number").empty()) build += (build.empty() ? "" : " ") + std::string("(") + text(f, "build_number") + ")";
  if (!build.empty()) lines.push_back("Build: " + build);
  std::string more;
  for (auto [key, label] : {std::pair{"locale", "locale"}, std::pair{"battery", "battery %"}, std::pair{"connection", "connection"}})
    if (!text(f, key).empty()) more += (more.empty() ? "" : ", ") + std::string(label) + " " + text(f, key);
  if (!more.empty()) lines.push_back("Context: " + more);
  if (!text(f, "created").empty()) lines.push_back("Submitted: " + text(f, "created"));
  return lines;
}

std::string ticket_marker(const Job& job) {
  const auto fb = job.context.find("feedback");
  if (fb != job.context.end() && fb->is_object() && !text(*fb, "id").empty()) return "asc-feedback-" + text(*fb, "id");
  return "asc-event-" + job.event.id;
}

std::pair<std::string, std::string> multipart_body(const std::vector<const AttachedFile*>& files, const std::string& part) {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  char boundary[48];
  std::snprintf(boundary, sizeof boundary, "asc-webhookd-%016llx", static_cast<unsigned long long>(random()));
  std::string body;
  for (const auto* f : files) {
    // A file name is ours (screenshot-1.png): nothing to escape in the quotes.
    body += std::string("--") + boundary + "\r\nContent-Disposition: form-data; name=\"" + part + "\"; filename=\"" + f->name +
            "\"\r\nContent-Type: " + f->content_type + "\r\n\r\n" + f->bytes + "\r\n";
  }
  body += std::string("--") + boundary + "--\r\n";
  return {std::move(body), boundary};
}

}  // namespace asc_webhookd::actions::detail
