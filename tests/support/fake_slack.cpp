#include "support/fake_slack.hpp"

namespace asc_webhookd::test {

using nlohmann::json;

namespace {

FakeResponse ok_json(const json& j) { return {200, {{"Content-Type", "application/json; charset=utf-8"}}, j.dump(), {}}; }
FakeResponse api_error(const std::string& e) { return ok_json({{"ok", false}, {"error", e}}); }
FakeResponse text(int status, const std::string& body) { return {status, {{"Content-Type", "text/html"}}, body, {}}; }

}  // namespace

std::string block_kit_problem(const json& blocks) {
  if (!blocks.is_array()) return "blocks must be an array";
  if (blocks.size() > 50) return "no more than 50 items allowed [json-pointer:/blocks]";
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const auto& b = blocks[i];
    const std::string at = "[json-pointer:/blocks/" + std::to_string(i);
    const std::string type = b.value("type", "");
    if (type == "header") {
      if (!b.contains("text") || b["text"].value("type", "") != "plain_text") return "must be plain_text " + at + "/text]";
      if (b["text"].value("text", "").size() > 150) return "must be less than 151 characters " + at + "/text/text]";
    } else if (type == "section") {
      if (!b.contains("text") && !b.contains("fields")) return "must provide text or fields " + at + "]";
      if (b.contains("text") && b["text"].value("text", "").size() > 3000) return "must be less than 3001 characters " + at + "/text/text]";
      if (b.contains("fields")) {
        if (b["fields"].size() > 10) return "no more than 10 items allowed " + at + "/fields]";
        for (const auto& f : b["fields"])
          if (f.value("text", "").size() > 2000) return "must be less than 2001 characters " + at + "/fields]";
      }
    } else if (type == "context") {
      if (!b.contains("elements") || b["elements"].empty() || b["elements"].size() > 10) return "must have 1 to 10 elements " + at + "/elements]";
    } else if (type != "divider" && type != "actions" && type != "image" && type != "rich_text") {
      return "unknown block type " + at + "/type]";
    }
  }
  return "";
}

FakeSlack::FakeSlack() : server([this](const FakeRequest& r) { return handle(r); }) {}

void FakeSlack::add_channel(const std::string& name, const std::string& id, bool archived, bool member) {
  std::lock_guard l(mutex_);
  channels_[name] = {id, archived, member};
  channels_[id] = {id, archived, member};
}

std::vector<FakeSlack::Message> FakeSlack::messages() const {
  std::lock_guard l(mutex_);
  return messages_;
}

std::vector<FakeSlack::SharedFile> FakeSlack::files() const {
  std::lock_guard l(mutex_);
  return files_;
}

std::vector<json> FakeSlack::webhook_posts() const {
  std::lock_guard l(mutex_);
  return webhook_posts_;
}

FakeResponse FakeSlack::handle(const FakeRequest& r) {
  std::lock_guard l(mutex_);
  if (r.target.rfind("/services/", 0) == 0) {
    if (r.target != kWebhookPath) return text(404, "no_service");
    auto body = json::parse(r.body, nullptr, false);
    if (!body.is_object()) return text(400, "invalid_payload");
    if (!body.contains("text") && !body.contains("blocks")) return text(400, "no_text");
    if (body.contains("blocks"))
      if (!block_kit_problem(body["blocks"]).empty()) return text(400, "invalid_blocks");
    webhook_posts_.push_back(body);
    return text(200, "ok");
  }
  if (r.target.rfind("/upload/v1/", 0) == 0) return upload(r);
  if (r.target.rfind("/api/", 0) == 0) return api(r.target.substr(5), r);
  return text(404, "Not Found");
}

// The upload URL takes the bytes (no Web API envelope, no token needed).
FakeResponse FakeSlack::upload(const FakeRequest& r) {
  auto it = uploads_.find(r.target.substr(11));
  if (r.method != "POST" || it == uploads_.end() || it->second.completed) return text(404, "Not Found");
  if (r.body.size() != it->second.length) return text(500, "length mismatch");
  it->second.bytes = r.body;
  it->second.uploaded = true;
  return text(200, "OK - " + std::to_string(r.body.size()));
}

FakeResponse FakeSlack::file_api(const std::string& method, const FakeRequest& r) {
  if (method == "files.upload") return api_error("method_deprecated");
  if (r.header("content-type").rfind("application/x-www-form-urlencoded", 0) != 0) return api_error("invalid_arguments");
  auto args = url_decoded_fields(r.body);
  if (method == "files.getUploadURLExternal") {
    if (args["filename"].empty()) return api_error("invalid_arguments");
    const std::size_t length = args["length"].empty() ? 0 : std::stoul(args["length"]);
    if (length == 0) return api_error("missing_argument");
    const std::string id = "F0" + std::to_string(1000 + uploads_.size());
    uploads_[id] = {args["filename"], length, "", false, false};
    return ok_json({{"ok", true}, {"upload_url", server.url("/upload/v1/" + id)}, {"file_id", id}});
  }
  // files.completeUploadExternal
  auto list = json::parse(args["files"], nullptr, false);
  if (!list.is_array() || list.empty()) return api_error("invalid_arguments");
  const std::string channel = args["channel_id"];
  if (!channel.empty()) {
    auto ch = channels_.find(channel);
    if (ch == channels_.end() || ch->second.id != channel) return api_error("channel_not_found");
    if (!ch->second.member) return api_error("not_in_channel");
  }
  const std::string thread = args["thread_ts"];
  if (!thread.empty()) {
    bool parent = false;
    for (const auto& x : messages_) parent = parent || (x.ts == thread && x.channel == channel && x.thread_ts.empty());
    if (!parent) return api_error("invalid_thread_ts");
  }
  json done = json::array();
  for (const auto& f : list) {
    auto it = uploads_.find(f.value("id", ""));
    if (it == uploads_.end() || !it->second.uploaded || it->second.completed) return api_error("file_not_found");
  }
  for (const auto& f : list) {
    auto& up = uploads_[f.value("id", "")];
    up.completed = true;
    files_.push_back({f.value("id", ""), up.filename, f.value("title", up.filename), channel, thread, up.bytes});
    done.push_back({{"id", f.value("id", "")}, {"title", f.value("title", up.filename)}});
  }
  return ok_json({{"ok", true}, {"files", done}});
}

FakeResponse FakeSlack::api(const std::string& method, const FakeRequest& r) {
  const std::string auth = r.header("authorization");
  if (auth.empty()) return api_error("not_authed");
  if (auth != std::string("Bearer ") + kBotToken) return api_error("invalid_auth");
  if (method.rfind("files.", 0) == 0) return file_api(method, r);
  if (r.header("content-type").rfind("application/json", 0) != 0) return api_error("invalid_arguments");
  auto body = json::parse(r.body, nullptr, false);
  if (!body.is_object()) return api_error("invalid_json");
  json warnings = json::array();
  if (r.header("content-type").find("charset") == std::string::npos) warnings.push_back("missing_charset");
  std::string text_arg = body.value("text", "");
  if (text_arg.empty() && !body.contains("blocks")) return api_error("no_text");
  if (body.contains("blocks"))
    if (auto p = block_kit_problem(body["blocks"]); !p.empty())
      return ok_json({{"ok", false}, {"error", "invalid_blocks"}, {"errors", {p}}});
  if (text_arg.size() > 40000) {
    text_arg.resize(40000);
    warnings.push_back("message_truncated");
  }
  const std::string channel_arg = body.value("channel", "");
  if (method == "chat.postMessage") {
    auto ch = channels_.find(channel_arg);
    if (ch == channels_.end()) return api_error("channel_not_found");
    if (ch->second.archived) return api_error("is_archived");
    if (!ch->second.member) return api_error("not_in_channel");
    Message m{ch->second.id, std::to_string(next_ts_++) + ".000100", body.value("thread_ts", ""), text_arg,
              body.value("blocks", json::array()), 0};
    if (!m.thread_ts.empty()) {
      bool parent = false;
      for (const auto& x : messages_) parent = parent || (x.ts == m.thread_ts && x.channel == m.channel && x.thread_ts.empty());
      if (!parent) return api_error("thread_not_found");
    }
    messages_.push_back(m);
    json out = {{"ok", true}, {"channel", m.channel}, {"ts", m.ts},
                {"message", {{"type", "message"}, {"subtype", "bot_message"}, {"text", m.text}, {"ts", m.ts}}}};
    if (!warnings.empty()) out["warning"] = warnings[0];
    return ok_json(out);
  }
  if (method == "chat.update") {
    // chat.update wants the channel ID, not a #name.
    auto ch = channels_.find(channel_arg);
    if (ch == channels_.end() || channel_arg != ch->second.id) return api_error("channel_not_found");
    for (auto& x : messages_) {
      if (x.channel == channel_arg && x.ts == body.value("ts", "")) {
        x.text = text_arg;
        if (body.contains("blocks")) x.blocks = body["blocks"];
        ++x.updates;
        return ok_json({{"ok", true}, {"channel", x.channel}, {"ts", x.ts}, {"text", x.text}});
      }
    }
    return api_error("message_not_found");
  }
  return api_error("unknown_method");
}

}  // namespace asc_webhookd::test
