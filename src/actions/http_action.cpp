// The generic http action: forward the event (or a rendered body) to any
// endpoint, from a named connection (URL + headers) or an inline URL.
#include "asc_webhookd/actions/action.hpp"
#include "asc_webhookd/rules/template.hpp"

#include <strings.h>

namespace asc_webhookd::actions {

std::string redact_url(const std::string& url) {
  auto scheme = url.find("://");
  if (scheme == std::string::npos) return "<url>";
  auto path = url.find('/', scheme + 3);
  std::string host = url.substr(0, path);
  if (auto at = host.find('@'); at != std::string::npos) host = url.substr(0, scheme + 3) + host.substr(at + 1);
  return host;
}

Result<http::ClientRequest, Error> build_http_request(const Job& job, const config::HttpAction& a) {
  http::ClientRequest req;
  req.method = a.method;
  req.timeout = job.config.delivery.timeout;
  if (a.connection) {
    auto it = job.config.connections.http.find(*a.connection);
    if (it == job.config.connections.http.end())
      return Error{"connections.http." + *a.connection + " is no longer configured"};
    req.url = it->second.url.reveal();
    for (const auto& h : it->second.headers) req.headers.emplace_back(h.name, h.value.reveal());
  } else if (a.url) {
    auto url = rules::render(a.url->text, job.context);
    if (!url) return Error{"url template: " + url.error().message};
    req.url = *url;
  }
  for (const auto& [name, tpl] : a.headers) {
    auto v = rules::render(tpl.text, job.context);
    if (!v) return Error{"header " + name + " template: " + v.error().message};
    req.headers.emplace_back(name, *v);
  }
  if (a.body) {
    auto b = rules::render(a.body->text, job.context);
    if (!b) return Error{"body template: " + b.error().message};
    req.body = *b;
  } else {
    req.body = job.event.raw;
    bool has_type = false;
    for (const auto& [k, v] : req.headers) has_type = has_type || strcasecmp(k.c_str(), "content-type") == 0;
    if (!has_type) req.headers.emplace_back("Content-Type", "application/json");
  }
  return req;
}

namespace {

boost::asio::awaitable<Outcome> run_http(const Job& job, const config::HttpAction& a, http::HttpClient& client) {
  Outcome out;
  auto req = build_http_request(job, a);
  if (!req) {
    out.permanent_error = true;
    out.result.error = req.error().message;
    co_return out;
  }
  out.target = req->method + " " + redact_url(req->url);
  auto res = co_await client.request(*req);
  if (!res) {
    out.result.error = res.error().message;
    co_return out;
  }
  out.result.status = res->status;
  out.result.headers = std::move(res->headers);
  out.result.body = std::move(res->body);
  if (res->status >= 300) out.result.error = out.result.body.substr(0, 300);
  co_return out;
}

}  // namespace

boost::asio::awaitable<Outcome> run(const Job& job, http::HttpClient& client) {
  if (const auto* a = std::get_if<config::HttpAction>(&job.action)) co_return co_await run_http(job, *a, client);
  Outcome out;
  out.permanent_error = true;
  out.result.error = "this build delivers http actions only; github, slack and jira actions arrive in the next release";
  co_return out;
}

}  // namespace asc_webhookd::actions
