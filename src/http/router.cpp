#include "asc_webhookd/http/router.hpp"

#include "asc_webhookd/core/log.hpp"
#include "asc_webhookd/ingest/webhook_handler.hpp"

#include <boost/beast/http/field.hpp>
#include <nlohmann/json.hpp>

#include <chrono>

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

namespace {

Response error(unsigned status, const std::string& message, const Request& req, const RequestInfo& info) {
  return json_response(status, nlohmann::json{{"error", message}}.dump(), req, info);
}

Response method_not_allowed(const char* allow, const Request& req, const RequestInfo& info) {
  auto res = error(405, std::string("method not allowed; use ") + allow, req, info);
  res.set(bhttp::field::allow, allow);
  return res;
}

std::string_view path_of(std::string_view target) {
  auto q = target.find('?');
  return q == std::string_view::npos ? target : target.substr(0, q);
}

}  // namespace

Response Router::handle(Request& req, const RequestInfo& info) {
  auto path = path_of(req.target());
  constexpr std::string_view hooks = "/webhooks/";
  if (path.substr(0, hooks.size()) == hooks) return webhook(req, info, path.substr(hooks.size()));
  if (path == "/healthz") {
    if (req.method() != bhttp::verb::get) return method_not_allowed("GET", req, info);
    return json_response(200, R"({"status":"ok"})", req, info);
  }
  if (path == "/readyz") {
    if (req.method() != bhttp::verb::get) return method_not_allowed("GET", req, info);
    if (!config_()) return json_response(503, R"({"status":"not ready","reason":"no configuration loaded"})", req, info);
    return json_response(200, R"({"status":"ready"})", req, info);
  }
  return error(404, "no route for " + std::string(path), req, info);
}

Response Router::webhook(Request& req, const RequestInfo& info, std::string_view name) {
  auto cfg = config_();
  const auto started = std::chrono::steady_clock::now();
  if (!cfg->find_webhook(name))
    return error(404, "no webhook named \"" + std::string(name) + "\"", req, info);
  if (req.method() != bhttp::verb::post) return method_not_allowed("POST", req, info);

  auto out = ingest::handle_webhook(*cfg, name, req["x-apple-signature"], req.body());
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  auto lg = log::get("ingest");
  if (out.event) {
    const auto& ev = *out.event;
    lg->info("event webhook={} type={} id={} from={} to={} outcome={} ms={:.2f} request_id={}", name, ev.type_name,
             ev.id, ev.old_state.value_or("-"), ev.new_state.value_or("-"), out.outcome, ms, info.request_id);
  } else {
    lg->warn("event webhook={} outcome={} error=\"{}\" remote={} request_id={}", name, out.outcome,
             out.body.value("error", ""), info.remote, info.request_id);
  }
  return json_response(static_cast<unsigned>(out.status), out.body.dump(), req, info);
}

}  // namespace asc_webhookd::http
