// The generic http action: forward the event (or a rendered body) to any
// endpoint, from a named connection (URL + headers) or an inline URL.
#include "asc_webhookd/actions/action.hpp"

#include <strings.h>

namespace asc_webhookd::actions::detail {

boost::asio::awaitable<Outcome> run_http(const Job& job, const config::HttpAction& a, Services& s) {
  Outcome out;
  http::ClientRequest req;
  req.method = a.method;
  req.timeout = job.config.delivery.timeout;
  if (a.connection) {
    auto it = job.config.connections.http.find(*a.connection);
    if (it == job.config.connections.http.end()) {
      out.permanent_error = true;
      out.result.error = "connections.http." + *a.connection + " is no longer configured";
      co_return out;
    }
    req.url = it->second.url.reveal();
    req.secrets.push_back(req.url);  // connection URLs often carry a key in the path
    for (const auto& h : it->second.headers) {
      req.headers.emplace_back(h.name, h.value.reveal());
      req.secrets.push_back(h.value.reveal());
    }
  } else if (a.url) {
    auto url = render(*a.url, job, out, "url");
    if (!url) co_return out;
    req.url = *url;
  }
  for (const auto& [name, tpl] : a.headers) {
    auto v = render(tpl, job, out, "header " + name);
    if (!v) co_return out;
    req.headers.emplace_back(name, *v);
  }
  if (a.body) {
    auto b = render(*a.body, job, out, "body");
    if (!b) co_return out;
    req.body = *b;
  } else {
    req.body = job.event.raw;
    bool has_type = false;
    for (const auto& [k, v] : req.headers) has_type = has_type || strcasecmp(k.c_str(), "content-type") == 0;
    if (!has_type) req.headers.emplace_back("Content-Type", "application/json");
  }
  out.target = req.method + " " + redact_url(req.url);
  auto res = co_await s.http.send(std::move(req));
  take(out, res);
  co_return out;
}

}  // namespace asc_webhookd::actions::detail
