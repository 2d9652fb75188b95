#include "asc_webhookd/http/router.hpp"

#include "asc_webhookd/core/metrics.hpp"
#include "asc_webhookd/ingest/receive.hpp"
#include "asc_webhookd/store/async.hpp"

#include <boost/beast/http/field.hpp>
#include <nlohmann/json.hpp>

#include <optional>

#include <strings.h>

namespace asc_webhookd::http {

namespace bhttp = boost::beast::http;

Response json_response(unsigned status, const std::string& json_body, const Request& req, const RequestInfo& info) {
  Response res{static_cast<bhttp::status>(status), req.version()};
  res.set(bhttp::field::server, "asc-webhookd/" ASC_WEBHOOKD_VERSION);
  res.set(bhttp::field::content_type, "application/json");
  res.set("X-Request-Id", info.request_id);
  res.body() = json_body;
  res.body() += "\n";
  res.prepare_payload();
  return res;
}

std::string json_text(const nlohmann::json& j) {
  // Client bytes (a path, a parse error quoting the body) may not be UTF-8:
  // dump() would throw and the client would see a 500 for its own input.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {

Response error(unsigned status, const std::string& message, const Request& req, const RequestInfo& info) {
  return json_response(status, json_text({{"error", message}}), req, info);
}

Response method_not_allowed(const char* allow, const Request& req, const RequestInfo& info) {
  auto res = error(405, std::string("method not allowed; use ") + allow, req, info);
  res.set(bhttp::field::allow, allow);
  return res;
}

// "http://host:8080/healthz?x" → "/healthz?x": a server must accept the
// absolute form (RFC 9112 §3.2.2), which proxies may send.
std::optional<std::string_view> origin_of_absolute(std::string_view target) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.size() < scheme.size() || strncasecmp(target.data(), scheme.data(), scheme.size()) != 0) continue;
    const auto slash = target.find_first_of("/?", scheme.size());
    if (slash == std::string_view::npos) return std::string_view("/");
    return target.substr(slash);
  }
  return std::nullopt;
}

std::string_view path_of(std::string_view target) {
  auto q = target.find('?');
  return q == std::string_view::npos ? target : target.substr(0, q);
}

enum class Route { webhook, healthz, readyz, metrics, console };

// Every endpoint the public listener serves. The metrics route label is the
// endpoint's path (without the webhook name), so it cannot drift from here.
struct Endpoint {
  std::string_view path;  // exact, or a prefix when it ends in '/'
  std::string_view label;
  Route route;
};

constexpr Endpoint kEndpoints[] = {
    {"/webhooks/", "/webhooks", Route::webhook},
    {"/healthz", "/healthz", Route::healthz},
    {"/readyz", "/readyz", Route::readyz},
    {"/metrics", "/metrics", Route::metrics},
    {"/api/", "/api", Route::console},
    {"/ui/", "/ui", Route::console},
    {"/ui", "/ui", Route::console},
};

const Endpoint* find_endpoint(std::string_view path) {
  for (const auto& e : kEndpoints)
    if (e.path.back() == '/' ? path.substr(0, e.path.size()) == e.path : path == e.path) return &e;
  return nullptr;
}

Response metrics_text(const Request& req, const RequestInfo& info) {
  Response res{bhttp::status::ok, req.version()};
  res.set(bhttp::field::server, "asc-webhookd/" ASC_WEBHOOKD_VERSION);
  res.set(bhttp::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  res.set("X-Request-Id", info.request_id);
  res.body() = metrics::Registry::global().render();
  res.prepare_payload();
  return res;
}

}  // namespace

std::string_view route_label(std::string_view target) {
  const auto origin = origin_of_absolute(target);
  const Endpoint* e = find_endpoint(path_of(origin ? *origin : target));
  return e ? e->label : "other";
}

boost::asio::awaitable<Response> Router::handle(Request& req, const RequestInfo& info) {
  if (auto origin = origin_of_absolute(req.target())) {
    const std::string o = (*origin)[0] == '?' ? "/" + std::string(*origin) : std::string(*origin);
    req.target(o);
  }
  const auto path = path_of(req.target());
  const Endpoint* e = find_endpoint(path);
  if (e && e->route == Route::console && deps_.console) co_return co_await deps_.console(req, info);
  if (!e || e->route == Route::console || deps_.console_only) co_return error(404, "no route for " + std::string(path), req, info);
  // A webhook answers 404 for an unknown name before 405 (it checks itself).
  if (e->route == Route::webhook) co_return co_await webhook(req, info, path.substr(e->path.size()));
  if (req.method() != bhttp::verb::get) co_return method_not_allowed("GET", req, info);
  switch (e->route) {
    case Route::healthz:
      co_return json_response(200, R"({"status":"ok"})", req, info);
    case Route::metrics:
      co_return metrics_text(req, info);
    case Route::readyz:
      co_return co_await ready(req, info);
    case Route::webhook:
    case Route::console:
      break;  // answered above
  }
  co_return error(404, "no route for " + std::string(path), req, info);
}

boost::asio::awaitable<Response> Router::ready(Request& req, const RequestInfo& info) {
  if (!deps_.config()) co_return json_response(503, R"({"status":"not ready","reason":"no configuration loaded"})", req, info);
  auto* st = deps_.store;
  // Named first: GCC 12 miscompiles capturing lambdas inside co_await (bug 107288).
  auto probe = [st](auto cb) { st->check_writable_async(std::move(cb)); };
  auto writable = co_await store::await_store<store::StoreResult<void>>(std::move(probe));
  if (!writable)
    co_return json_response(
        503, json_text({{"status", "not ready"}, {"reason", "store is not writable: " + writable.error().message}}), req,
        info);
  co_return json_response(200, R"({"status":"ready"})", req, info);
}

boost::asio::awaitable<Response> Router::webhook(Request& req, const RequestInfo& info, std::string_view name) {
  auto cfg = deps_.config();
  const config::WebhookConfig* hook = cfg->find_webhook(name);
  if (!hook) co_return error(404, "no webhook named \"" + std::string(name) + "\"", req, info);
  if (req.method() != bhttp::verb::post) co_return method_not_allowed("POST", req, info);
  const ingest::Sink sink{*deps_.store, *deps_.clock, deps_.jobs_stored};
  auto answer = co_await ingest::receive(*cfg, *hook, req["x-apple-signature"], req.body(), sink, {info.remote, info.request_id});
  co_return json_response(answer.status, json_text(answer.body), req, info);
}

}  // namespace asc_webhookd::http
