#pragma once
// A fake Slack (its documented answers): incoming webhooks (200 "ok", or the
// documented plain-text errors) and the Web API's chat.postMessage /
// chat.update (bearer bot token; HTTP 200 with ok:false for errors; Block
// Kit limits; channels by name or ID, archived, bot not a member; thread_ts
// must name a parent; chat.update needs the channel ID and an existing ts).
// Files through the external upload: files.getUploadURLExternal (form body
// only: JSON gets invalid_arguments; length 0 → missing_argument), the
// bytes POSTed to the upload URL (200 "OK - n"; a length that differs →
// 500), files.completeUploadExternal once per file (else file_not_found),
// the bot a member of channel_id, thread_ts naming a top-level message;
// files.upload answers method_deprecated.
// Canned answers pushed on `server` come first (429, 5xx).
#include "support/fake_http.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace asc_webhookd::test {

class FakeSlack {
public:
  struct Message {
    std::string channel;  // ID
    std::string ts;
    std::string thread_ts;  // "" for a top-level message
    std::string text;
    nlohmann::json blocks;
    int updates = 0;
  };

  FakeSlack();

  static constexpr const char* kWebhookPath = "/services/T0001/B0001/XXXXXXXXXXXXXXXXXXXXXXXX";
  static constexpr const char* kBotToken = "xoxb-1234-56789abcdefghijklmnop";
  std::string webhook_url() const { return server.url(kWebhookPath); }
  std::string api_url() const { return server.url("/api"); }

  // A channel: its #name, ID, and whether it is archived / the bot is in it.
  void add_channel(const std::string& name, const std::string& id, bool archived = false, bool member = true);
  std::vector<Message> messages() const;
  struct SharedFile {
    std::string id;
    std::string name;
    std::string title;
    std::string channel;
    std::string thread_ts;
    std::string bytes;
  };
  std::vector<SharedFile> files() const;
  std::vector<nlohmann::json> webhook_posts() const;

private:
  FakeResponse handle(const FakeRequest& r);
  FakeResponse api(const std::string& method, const FakeRequest& r);
  FakeResponse file_api(const std::string& method, const FakeRequest& r);
  FakeResponse upload(const FakeRequest& r);
  struct Upload {
    std::string filename;
    std::size_t length = 0;
    std::string bytes;
    bool uploaded = false;
    bool completed = false;
  };
  std::map<std::string, Upload> uploads_;  // by file ID
  std::vector<SharedFile> files_;

  mutable std::mutex mutex_;
  struct Channel {
    std::string id;
    bool archived = false;
    bool member = true;
  };
  std::map<std::string, Channel> channels_;  // by name ("#x") and by ID
  std::vector<Message> messages_;
  std::vector<nlohmann::json> webhook_posts_;
  long long next_ts_ = 1700000000;

public:
  FakeHttpServer server;  // last: stopped before the state its handler uses goes
};

// Checks Block Kit limits as Slack does; "" when valid, else the error text.
std::string block_kit_problem(const nlohmann::json& blocks);

}  // namespace asc_webhookd::test
