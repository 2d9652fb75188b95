// Slack: incoming webhooks, or chat.postMessage / chat.update with a bot
// token, optionally threaded per instance (outbound-apis.md §2).
#include "asc_webhookd/actions/action.hpp"
#include "asc_webhookd/actions/slack_message.hpp"

namespace asc_webhookd::actions::detail {

using nlohmann::json;
namespace net = boost::asio;

namespace {

constexpr std::size_t kTextMax = 40'000;  // Slack truncates beyond this; we cut first, on a character

http::ClientRequest bot_request(const config::SlackConnection& c, const std::string& method, const json& body, const Job& job) {
  http::ClientRequest req;
  req.method = "POST";
  req.url = c.api_url + "/" + method;
  req.timeout = job.config.delivery.timeout;
  req.headers = {{"Authorization", "Bearer " + c.bot_token->reveal()},
                 {"Content-Type", "application/json; charset=utf-8"}};
  req.secrets.push_back(c.bot_token->reveal());
  req.body = body.dump();
  return req;
}

// A Web API answer the policy accepted (ok:true): its parsed body.
json api_answer(const http::ClientResponse& r) { return json::parse(r.body, nullptr, false); }

}  // namespace

net::awaitable<Outcome> run_slack(const Job& job, const config::SlackAction& a, Services& s) {
  Outcome out;
  const auto* found = connection(job.config.connections.slack, a.connection, "slack", out);
  if (!found) co_return out;
  const auto& conn = *found;
  json message = json::object();
  if (a.text) {
    auto t = render(*a.text, job, out, "text");
    if (!t) co_return out;
    message["text"] = *t;
  }
  if (a.blocks) {
    auto b = render_tree(*a.blocks, job, out, "blocks");
    if (!b) co_return out;
    message["blocks"] = *b;
  }
  if (!a.text && !a.blocks) message = builtin_slack_message(job.context);
  else if (!a.text) message["text"] = builtin_slack_message(job.context)["text"];  // notifications need text
  message["text"] = truncate_utf8(message["text"].get<std::string>(), kTextMax);

  if (conn.webhook_url) {
    http::ClientRequest req;
    req.method = "POST";
    req.url = conn.webhook_url->reveal();
    req.secrets.push_back(req.url);
    req.timeout = job.config.delivery.timeout;
    req.headers = {{"Content-Type", "application/json"}};
    req.body = message.dump();
    co_await send(s, out, std::move(req), http::kPlainHttp, ShowTarget::host);
    co_return out;
  }

  std::string channel;
  if (a.channel) {
    auto ch = render(*a.channel, job, out, "channel");
    if (!ch) co_return out;
    channel = *ch;
  }
  const bool threaded = a.thread_per_instance && !job.instance_key.empty();
  const std::string thread_key = "slack:thread:" + a.connection + ":" + channel + ":" + job.instance_key;
  const std::string progress_key = "progress:" + std::to_string(job.id);
  std::optional<json> parent;
  if (threaded)
    if (auto p = co_await s.kv.get(thread_key)) parent = json::parse(*p, nullptr, false);
  if (parent && !parent->is_object()) parent.reset();
  json progress = json::object();
  if (auto p = co_await s.kv.get(progress_key)) progress = json::parse(*p, nullptr, false);
  if (!progress.is_object()) progress = json::object();

  if (!progress.contains("ts")) {  // not yet posted by an earlier attempt of this job
    json body = message;
    body["channel"] = parent ? (*parent)["channel"] : json(channel);
    body["unfurl_links"] = false;
    if (parent) body["thread_ts"] = (*parent)["ts"];
    auto req = bot_request(conn, "chat.postMessage", body, job);
    auto res = co_await send(s, out, std::move(req), slack_api_policy());
    if (!res) co_return out;
    const json answer = api_answer(*res);
    progress = {{"ts", answer.value("ts", "")}, {"channel", answer.value("channel", channel)}};
    if (threaded && !parent) {
      // The first message for this instance: it becomes the thread's parent.
      co_await s.kv.put(thread_key, progress.dump());
    } else if (a.update_parent && parent) {
      co_await s.kv.put(progress_key, progress.dump());  // a retry of the update must not post again
    }
  }
  out.detail = "ts=" + progress.value("ts", "") + (parent ? " thread=" + (*parent).value("ts", "") : "");
  if (a.update_parent && parent) {
    json body = message;
    body["channel"] = (*parent)["channel"];
    body["ts"] = (*parent)["ts"];
    auto req = bot_request(conn, "chat.update", body, job);
    if (!co_await send(s, out, std::move(req), slack_api_policy())) co_return out;
    out.detail += " parent updated";
  }
  co_return out;
}

}  // namespace asc_webhookd::actions::detail
