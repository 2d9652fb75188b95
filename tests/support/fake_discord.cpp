#include "support/fake_discord.hpp"

#include <regex>

namespace asc_webhookd::test {

using json = nlohmann::json;

namespace {

FakeResponse discord_error(int status, const json& body) {
  return {status, {{"Content-Type", "application/json"}}, body.dump(), {}};
}

FakeResponse form_error(const json& errors) {
  return discord_error(400, {{"code", 50035}, {"errors", errors}, {"message", "Invalid Form Body"}});
}

json too_long(std::size_t max) {
  return {{"_errors", json::array({{{"code", "BASE_TYPE_MAX_LENGTH"}, {"message", "Must be " + std::to_string(max) + " or fewer in length."}}})}};
}

std::size_t chars(const json& j) {  // characters, as Discord counts them (UTF-8 code points)
  if (!j.is_string()) return 0;
  std::size_t n = 0;
  for (unsigned char c : j.get_ref<const std::string&>()) n += (c & 0xC0) != 0x80;
  return n;
}

// Discord's checks; the errors tree, or null when the body is fine.
json check(const json& b) {
  if (b.contains("content") && chars(b["content"]) > 2000) return {{"content", too_long(2000)}};
  const json embeds = b.value("embeds", json::array());
  if (embeds.size() > 10) return {{"embeds", too_long(10)}};
  std::size_t total = 0;
  for (std::size_t i = 0; i < embeds.size(); ++i) {
    const json& e = embeds[i];
    const std::string at = std::to_string(i);
    auto limit = [&](const char* key, std::size_t max) -> json {
      if (e.contains(key) && chars(e[key]) > max) return {{"embeds", {{at, {{key, too_long(max)}}}}}};
      total += e.contains(key) ? chars(e[key]) : 0;
      return nullptr;
    };
    if (auto bad = limit("title", 256); !bad.is_null()) return bad;
    if (auto bad = limit("description", 4096); !bad.is_null()) return bad;
    const json fields = e.value("fields", json::array());
    if (fields.size() > 25) return {{"embeds", {{at, {{"fields", too_long(25)}}}}}};
    for (const auto& f : fields) {
      if (chars(f.value("name", json(""))) > 256 || chars(f.value("value", json(""))) > 1024 || !f.contains("name") || !f.contains("value"))
        return {{"embeds", {{at, {{"fields", too_long(1024)}}}}}};
      total += chars(f["name"]) + chars(f["value"]);
    }
    if (e.contains("footer")) {
      if (chars(e["footer"].value("text", json(""))) > 2048) return {{"embeds", {{at, {{"footer", too_long(2048)}}}}}};
      total += chars(e["footer"].value("text", json("")));
    }
  }
  if (total > 6000) return {{"embeds", too_long(6000)}};
  if (auto am = b.find("allowed_mentions"); am != b.end()) {
    const json parse = am->value("parse", json::array());
    for (const char* kind : {"users", "roles"})
      if (am->contains(kind) && std::find(parse.begin(), parse.end(), kind) != parse.end())
        return {{"allowed_mentions", {{"_errors", json::array({{{"code", "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE"},
                                                                  {"message", std::string("parse:[\"") + kind + "\"] and " + kind + ": [ids] are mutually exclusive."}}})}}}};
  }
  return nullptr;
}

}  // namespace

FakeDiscord::FakeDiscord() : server([this](const FakeRequest& r) { return handle(r); }) {}

std::string FakeDiscord::add_webhook(const std::string& id, const std::string& token) {
  std::lock_guard l(mutex_);
  hooks_[id] = token;
  return server.url("/api/webhooks/" + id + "/" + token);
}

void FakeDiscord::delete_webhook(const std::string& id) {
  std::lock_guard l(mutex_);
  hooks_.erase(id);
}

void FakeDiscord::set_bucket(int per_window, std::chrono::milliseconds window) {
  std::lock_guard l(mutex_);
  per_window_ = per_window;
  window_ = window;
}

std::vector<json> FakeDiscord::messages() const {
  std::lock_guard l(mutex_);
  return messages_;
}

std::size_t FakeDiscord::calls(const std::string& id) const {
  std::lock_guard l(mutex_);
  auto it = calls_.find(id);
  return it == calls_.end() ? 0 : it->second;
}

FakeResponse FakeDiscord::handle(const FakeRequest& r) {
  std::lock_guard l(mutex_);
  static const std::regex path(R"(/api(/v\d+)?/webhooks/(\d+)/([A-Za-z0-9_-]+))");
  std::smatch m;
  const std::string p = r.target.substr(0, r.target.find('?'));
  if (!std::regex_match(p, m, path)) return discord_error(404, {{"message", "404: Not Found"}, {"code", 0}});
  const std::string id = m[2], token = m[3];
  ++calls_[id];
  auto hook = hooks_.find(id);
  if (hook == hooks_.end()) return discord_error(404, {{"message", "Unknown Webhook"}, {"code", 10015}});
  if (hook->second != token) return discord_error(401, {{"message", "Invalid Webhook Token"}, {"code", 50027}});
  if (r.method != "POST") return discord_error(405, {{"message", "405: Method Not Allowed"}, {"code", 0}});
  const auto now = std::chrono::steady_clock::now();
  if (per_window_ > 0) {
    auto& sent = sent_[id];
    std::erase_if(sent, [&](auto t) { return now - t >= window_; });
    if (static_cast<int>(sent.size()) >= per_window_) {
      // Whole milliseconds, rounded up: a client waiting exactly this long is let through.
      const auto wait_ms = std::chrono::ceil<std::chrono::milliseconds>(window_ - (now - sent.front())).count();
      const double after = static_cast<double>(wait_ms) / 1000.0;
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.3f", after);
      FakeResponse limited = discord_error(429, {{"message", "You are being rate limited."}, {"retry_after", std::stod(buf)}, {"global", false}});
      limited.headers["Retry-After"] = std::to_string(static_cast<int>(after) + 1);
      limited.headers["X-RateLimit-Limit"] = std::to_string(per_window_);
      limited.headers["X-RateLimit-Remaining"] = "0";
      limited.headers["X-RateLimit-Reset-After"] = buf;
      limited.headers["X-RateLimit-Bucket"] = "fakebucket";
      limited.headers["X-RateLimit-Scope"] = "user";
      return limited;
    }
    sent.push_back(now);
  }
  auto body = json::parse(r.body, nullptr, false);
  if (!body.is_object()) return discord_error(400, {{"message", "Cannot send an empty message"}, {"code", 50006}});
  const bool has_content = body.contains("content") && body["content"].is_string() && !body["content"].get<std::string>().empty();
  const bool has_embeds = body.contains("embeds") && body["embeds"].is_array() && !body["embeds"].empty();
  if (!has_content && !has_embeds) return discord_error(400, {{"message", "Cannot send an empty message"}, {"code", 50006}});
  if (auto errors = check(body); !errors.is_null()) return form_error(errors);
  messages_.push_back(body);
  if (r.target.find("wait=true") == std::string::npos) return {204, {}, "", {}};
  json msg = {{"id", std::to_string(next_id_++)}, {"type", 0}, {"channel_id", "1200000000000000000"}, {"webhook_id", id},
              {"author", {{"id", id}, {"username", body.value("username", "Captain Hook")}, {"avatar", nullptr}}},
              {"content", body.value("content", "")}, {"embeds", body.value("embeds", json::array())},
              {"attachments", json::array()}, {"mentions", json::array()}, {"pinned", false}, {"tts", false}};
  return {200, {{"Content-Type", "application/json"}}, msg.dump(), {}};
}

}  // namespace asc_webhookd::test
