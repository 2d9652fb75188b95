#pragma once
// Runs one job's action: render its templates against the event, build the
// request(s), send them, and decide what the answers mean (outbound::decide, by
// the integration's own RetryPolicy).
// One file per action kind under src/actions/.
//
// Actions never touch the network or the store directly: they go through
// Services, so the delivery engine (real HTTP client, SQLite key-value) and
// `simulate` (a recorder with made-up answers, an in-memory map) run the
// very same code.
#include "asc_webhookd/config/config.hpp"
#include "asc_webhookd/core/clock.hpp"
#include "asc_webhookd/outbound/exchange.hpp"
#include "asc_webhookd/outbound/request_text.hpp"
#include "asc_webhookd/outbound/transport.hpp"
#include "asc_webhookd/outbound/retry.hpp"
#include "asc_webhookd/event/event.hpp"
#include "asc_webhookd/rules/template.hpp"

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace asc_webhookd::actions {

using outbound::Transport;
using outbound::HttpResult;

// Small durable state: chat thread parents, per-job progress of multi-step
// actions (so a retry does not repeat what already succeeded).
class KeyValue {
public:
  virtual ~KeyValue() = default;
  virtual boost::asio::awaitable<std::optional<std::string>> get(std::string key) = 0;
  virtual boost::asio::awaitable<bool> put(std::string key, std::string value) = 0;
};

// App installation tokens (an integration authenticating as an app), per connection, reused until five minutes
// before they expire. Shared by all workers.
class TokenCache {
public:
  std::optional<std::string> get(const std::string& key, std::int64_t now_ms);
  void put(const std::string& key, std::string token, std::int64_t expires_ms);
  void drop(const std::string& key);

private:
  std::mutex mutex_;
  std::map<std::string, std::pair<std::string, std::int64_t>> tokens_;
};

struct Services {
  Transport& http;
  KeyValue& kv;
  const Clock& clock;
  TokenCache& tokens;
  // A feedback submission's screenshots asked of Apple again (their URLs
  // expire); empty where there is no App Store Connect lookup (simulate).
  std::function<boost::asio::awaitable<std::optional<nlohmann::json>>()> fresh_screenshots{};
  // How long after a create whose outcome is unknown the destination is
  // searched for the submission's marker (searches lag behind creates).
  std::chrono::milliseconds ticket_search_lag{60'000};
};

struct Job {
  const config::Config& config;
  const config::Action& action;
  const event::Event& event;
  const nlohmann::json& context;  // template data
  std::string rule;
  std::int64_t id = 0;       // the job's id (progress keys)
  std::string instance_key;  // webhook|type|id of the event's instance ("" without one)
};

// What an attempt did, decided by the action itself: each integration reads
// its answers with its own RetryPolicy (outbound::decide), or decides without a
// server (a template that does not render: final). The engine only settles
// the decision (backoff, dead, the record).
struct Outcome {
  outbound::AttemptResult result;  // the last answer, for the record
  outbound::Decision decision;     // success / retry (wait) / final, with the reason
  std::string target;          // for logs: method and host, never a credential
  std::string detail;          // what was done, for the attempt record ("MOB-1 → Done; MOB-2 skipped: …")
};

// Ends the attempt with a final decision, or a retry without a server's wait.
void fail(Outcome& out, std::string reason);
void retry_later(Outcome& out, std::string reason);
// Ends the attempt as done (an action whose steps were done by earlier
// attempts sends nothing, and an Outcome starts out final).
void succeed(Outcome& out);

boost::asio::awaitable<Outcome> run(const Job& job, Services& services);

using outbound::describe;
using outbound::mask;
using outbound::redact_url;
using outbound::service_message;
using outbound::ShowTarget;

namespace detail {
// Renders a template; on failure sets `out` to a final decision naming `what`.
// `escape` says how values are escaped where the text lands (rules::Escape).
std::optional<std::string> render(const config::Template& t, const Job& job, Outcome& out, const std::string& what,
                                  rules::Escape escape = rules::Escape::none);
// A chat message: the action's `text` rendered and made into a message by
// `from_text`, or without one the built-in message for the event; nullopt
// (with `out` set) when the template fails.
std::optional<nlohmann::json> chat_message(const std::optional<config::Template>& text, const Job& job, Outcome& out,
                                           nlohmann::json (*from_text)(const std::string&),
                                           nlohmann::json (*builtin)(const nlohmann::json& context));
// Renders every string leaf of a JSON tree.
std::optional<nlohmann::json> render_tree(const nlohmann::json& tree, const Job& job, Outcome& out, const std::string& what);

// The named connection, or null with a permanent error in `out` (a reload
// removed it after the job was planned).
template <class Map>
const typename Map::mapped_type* connection(const Map& connections, const std::string& name, const char* kind, Outcome& out) {
  auto it = connections.find(name);
  if (it != connections.end()) return &it->second;
  fail(out, std::string("connections.") + kind + "." + name + " is no longer configured");
  return nullptr;
}

// A JSON POST to a webhook URL that is itself the credential (incoming
// webhooks of chat services): the URL is masked wherever
// the request is shown.
outbound::ClientRequest webhook_post(const Job& job, const std::string& url, const nlohmann::json& body);


// Sends one request (outbound::exchange): sets out.target, out.result from what came back (the
// service's own error text on a non-2xx) and out.decision by `policy`. The
// response when the decision is success.
// A request whose URL or headers would not stay data on the wire (a CR/LF
// from an event in a header value, ...) is not sent: a permanent error
// naming the field (outbound::request_problem).
boost::asio::awaitable<std::optional<outbound::ClientResponse>> send(Services& s, Outcome& out, outbound::ClientRequest req,
                                                                const outbound::RetryPolicy& policy,
                                                                ShowTarget show = ShowTarget::url);
}  // namespace detail

}  // namespace asc_webhookd::actions
