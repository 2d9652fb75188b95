// Discord through a webhook (Discord's "Execute Webhook"): POST …/webhooks/ID/TOKEN
// with `wait=true`, so a message Discord dropped is an error rather than a
// silent 204. A 429's `retry_after` (seconds, with decimals) is honoured; a
// 404 "Unknown Webhook" is final, and the URL is not called again until the
// config names another one (Discord restricts clients that keep calling a
// deleted webhook).
#include "asc_webhookd/integrations/discord/run.hpp"
#include "asc_webhookd/integrations/discord/embed.hpp"
#include "asc_webhookd/ingest/signature.hpp"

namespace asc_webhookd::actions::detail {

using nlohmann::json;
namespace net = boost::asio;

namespace {

std::optional<std::chrono::milliseconds> retry_after_in_body(const outbound::AttemptResult& r) {
  auto j = json::parse(r.body, nullptr, false);
  if (!j.is_object() || !j.contains("retry_after") || !j["retry_after"].is_number()) return std::nullopt;
  const double secs = j["retry_after"].get<double>();
  if (!(secs >= 0) || secs > 24 * 3600) return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(secs * 1000 + 0.999));
}

// Where the fact "this URL answered Unknown Webhook" is kept: by a digest of
// the URL, never the URL (its path holds the token).
std::string gone_key(const std::string& connection, const std::string& url) {
  return "discord-gone:" + connection + ":" + ingest::sign("discord-gone", url).substr(11, 16);  // "hmacsha256=" + hex
}

std::string with_wait(const std::string& url) {
  if (url.find("wait=") != std::string::npos) return url;
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "wait=true";
}

}  // namespace

const outbound::RetryPolicy& discord_policy() {
  static const outbound::RetryPolicy p{{}, false, nullptr, &retry_after_in_body};
  return p;
}

net::awaitable<Outcome> run_discord(const Job& job, const config::DiscordAction& a, Services& s) {
  Outcome out;
  const auto* conn = connection(job.config.connections.discord, a.connection, "discord", out);
  if (!conn) co_return out;
  const std::string url = conn->webhook_url.reveal();
  const std::string key = gone_key(a.connection, url);
  if (co_await s.kv.get(key)) {
    out.target = "POST " + redact_url(url);
    fail(out, "Discord answered 404 Unknown Webhook for connections.discord." + a.connection +
                  " earlier: the webhook was deleted; put a new webhook_url in the config");
    co_return out;
  }
  auto message = chat_message(a.text, job, out, &text_discord_message, &builtin_discord_message);
  if (!message) co_return out;
  outbound::ClientRequest req = webhook_post(job, with_wait(url), *message);
  req.secrets.push_back(url);
  req.headers.emplace_back("User-Agent", "DiscordBot (https://github.com/asc-webhookd, " ASC_WEBHOOKD_VERSION ")");
  auto res = co_await send(s, out, std::move(req), discord_policy(), ShowTarget::host);
  if (!res && out.result.status == 404u) co_await s.kv.put(key, "404");
  if (res) {
    auto j = json::parse(res->body, nullptr, false);
    if (j.is_object() && j.contains("id") && j["id"].is_string()) out.detail = "message " + j["id"].get<std::string>();
  }
  co_return out;
}

}  // namespace asc_webhookd::actions::detail
