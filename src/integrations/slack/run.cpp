// Slack: incoming webhooks, or chat.postMessage / chat.update with a bot
// token, optionally threaded per instance (Slack's chat.postMessage, chat.update, incoming webhooks).
#include "asc_webhookd/integrations/slack/run.hpp"
#include "asc_webhookd/integrations/slack/message.hpp"

namespace asc_webhookd::actions::detail {

namespace {

// Slack's Web API answers most errors with HTTP 200 and {"ok":false,
// "error":...}: final, except rate limits (docs/design.md, "Retries").
std::optional<outbound::BodyError> slack_ok_false(const outbound::AttemptResult& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (!j.is_object()) return outbound::BodyError{"slack: the answer is not JSON", true, std::chrono::seconds(1)};
  if (j.value("ok", false) == true) return std::nullopt;
  const std::string err = j.value("error", std::string("ok:false"));
  const bool limited = err == "ratelimited" || err == "rate_limited";
  return outbound::BodyError{"slack: " + err, limited, std::chrono::seconds(1)};
}

}  // namespace

outbound::ClientRequest bot_call(const config::SlackConnection& c, const std::string& method, std::string content_type,
                                 std::string body, const Job& job) {
  outbound::ClientRequest req;
  req.method = "POST";
  req.url = c.api_url + "/" + method;
  req.timeout = job.config.delivery.timeout;
  req.headers = {{"Authorization", "Bearer " + c.bot_token->reveal()}, {"Content-Type", std::move(content_type)}};
  req.secrets.push_back(c.bot_token->reveal());
  req.body = std::move(body);
  return req;
}

const outbound::RetryPolicy& slack_api_policy() {
  static const outbound::RetryPolicy p{{}, false, &slack_ok_false};
  return p;
}

using nlohmann::json;
namespace net = boost::asio;

namespace {

constexpr std::size_t kTextMax = 40'000;  // Slack truncates beyond this; we cut first, on a character

outbound::ClientRequest bot_request(const config::SlackConnection& c, const std::string& method, const json& body, const Job& job) {
  return bot_call(c, method, "application/json; charset=utf-8", body.dump(), job);
}

// A Web API answer the policy accepted (ok:true): its parsed body.
json api_answer(const outbound::ClientResponse& r) { return json::parse(r.body, nullptr, false); }

}  // namespace

namespace {

// The message: the rendered text and blocks, or the built-in message for
// the event type; nullopt (with `out` set) when a template fails.
std::optional<json> compose(const Job& job, const config::SlackAction& a, Outcome& out) {
  json message = json::object();
  if (a.text) {
    auto t = render(*a.text, job, out, "text");
    if (!t) return std::nullopt;
    message["text"] = *t;
  }
  if (a.blocks) {
    auto b = render_tree(*a.blocks, job, out, "blocks");
    if (!b) return std::nullopt;
    message["blocks"] = *b;
  }
  if (!a.text && !a.blocks) message = builtin_slack_message(job.context);
  else if (!a.text) message["text"] = builtin_slack_message(job.context)["text"];  // notifications need text
  message["text"] = truncate_utf8(message["text"].get<std::string>(), kTextMax);
  return message;
}

net::awaitable<Outcome> post_to_webhook(const Job& job, const config::SlackConnection& conn, const json& message,
                                        Services& s) {
  Outcome out;
  auto req = webhook_post(job, conn.webhook_url->reveal(), message);  // named first (GCC 12: no temporaries with lambdas in a co_await)
  co_await send(s, out, std::move(req), outbound::kPlainHttp, ShowTarget::host);
  co_return out;
}

json read_json(const std::optional<std::string>& stored) {
  json j = stored ? json::parse(*stored, nullptr, false) : json::object();
  return j.is_object() ? j : json::object();
}

}  // namespace

net::awaitable<Outcome> run_slack(const Job& job, const config::SlackAction& a, Services& s) {
  Outcome out;
  const auto* conn = connection(job.config.connections.slack, a.connection, "slack", out);
  if (!conn) co_return out;
  const auto message = compose(job, a, out);
  if (!message) co_return out;
  if (conn->webhook_url) co_return co_await post_to_webhook(job, *conn, *message, s);

  std::string channel;
  if (a.channel) {
    auto ch = render(*a.channel, job, out, "channel");
    if (!ch) co_return out;
    channel = *ch;
  }
  // A thread per instance: the first message is kept as the parent; progress
  // per job, so a retry of the update does not post again.
  const bool threaded = a.thread_per_instance && !job.instance_key.empty();
  const std::string thread_key = "slack:thread:" + a.connection + ":" + channel + ":" + job.instance_key;
  const std::string progress_key = "progress:" + std::to_string(job.id);
  std::optional<json> parent;
  if (threaded)
    if (auto p = co_await s.kv.get(thread_key)) parent = json::parse(*p, nullptr, false);
  if (parent && !parent->is_object()) parent.reset();
  json progress = read_json(co_await s.kv.get(progress_key));

  if (!progress.contains("ts")) {  // not yet posted by an earlier attempt of this job
    json body = *message;
    body["channel"] = parent ? (*parent)["channel"] : json(channel);
    body["unfurl_links"] = false;
    if (parent) body["thread_ts"] = (*parent)["ts"];
    auto post = bot_request(*conn, "chat.postMessage", body, job);
    auto res = co_await send(s, out, std::move(post), slack_api_policy());
    if (!res) co_return out;
    const json answer = api_answer(*res);
    progress = {{"ts", answer.value("ts", "")}, {"channel", answer.value("channel", channel)}};
    if (threaded && !parent) co_await s.kv.put(thread_key, progress.dump());  // the thread's parent
    if ((a.update_parent && parent) || !a.attach.empty()) co_await s.kv.put(progress_key, progress.dump());
  }
  out.detail = "ts=" + progress.value("ts", "") + (parent ? " thread=" + (*parent).value("ts", "") : "");
  if (a.update_parent && parent) {
    json body = *message;
    body["channel"] = (*parent)["channel"];
    body["ts"] = (*parent)["ts"];
    auto update = bot_request(*conn, "chat.update", body, job);
    if (!co_await send(s, out, std::move(update), slack_api_policy())) co_return out;
    out.detail += " parent updated";
  }
  if (!a.attach.empty()) {
    // Files go in a thread: the parent's when this message is a reply there
    // (Slack takes no reply's own ts as a thread), else this message's.
    const std::string thread_ts = parent ? (*parent).value("ts", "") : progress.value("ts", "");
    if (!co_await post_files(job, a, *conn, s, out, progress, progress_key, progress.value("channel", channel), thread_ts))
      co_return out;
  }
  co_return out;
}

}  // namespace asc_webhookd::actions::detail
