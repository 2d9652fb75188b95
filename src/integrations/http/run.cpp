// The generic http action: forward the event (or a rendered body) to any
// endpoint, from a named connection (URL + headers) or an inline URL.
#include "asc_webhookd/integrations/http/run.hpp"
#include "asc_webhookd/outbound/request_check.hpp"

#include <strings.h>

namespace asc_webhookd::actions::detail {

boost::asio::awaitable<Outcome> run_http(const Job& job, const config::HttpAction& a, Services& s) {
  Outcome out;
  outbound::ClientRequest req;
  req.method = a.method;
  req.timeout = job.config.delivery.timeout;
  if (a.connection) {
    const auto* conn = connection(job.config.connections.http, *a.connection, "http", out);
    if (!conn) co_return out;
    req.url = conn->url.reveal();
    req.secrets.push_back(req.url);  // connection URLs often carry a key in the path
    for (const auto& h : conn->headers) {
      req.headers.emplace_back(h.name, h.value.reveal());
      req.secrets.push_back(h.value.reveal());
    }
  } else if (a.url) {
    // Values are percent-encoded into the path and query; the scheme and
    // host are written out in the config (check-config), and stay so.
    auto url = render(*a.url, job, out, "url", rules::Escape::url_component);
    if (!url) co_return out;
    if (!outbound::same_origin(*url, outbound::url_origin(a.url->text))) {
      fail(out, "url rendered to another scheme or host than the config names; the request was not sent");
      co_return out;
    }
    req.url = *url;
  }
  for (const auto& [name, tpl] : a.headers) {
    auto v = render(tpl, job, out, "header " + name);
    if (!v) co_return out;
    req.headers.emplace_back(name, *v);
  }
  if (a.body) {
    auto b = render(*a.body, job, out, "body", a.body_json_escaped ? rules::Escape::json_string : rules::Escape::none);
    if (!b) co_return out;
    if (a.body_json_escaped && nlohmann::json::parse(*b, nullptr, false).is_discarded()) {
      fail(out, "body (body_escape: json) rendered to text that is not JSON; the request was not sent");
      co_return out;
    }
    req.body = *b;
  } else {
    req.body = job.event.raw;
    bool has_type = false;
    for (const auto& [k, v] : req.headers) has_type = has_type || strcasecmp(k.c_str(), "content-type") == 0;
    if (!has_type) req.headers.emplace_back("Content-Type", "application/json");
  }
  co_await send(s, out, std::move(req), outbound::kPlainHttp, ShowTarget::host);
  co_return out;
}

}  // namespace asc_webhookd::actions::detail
