// What every action kind shares: dispatch, template rendering, reading a
// service's error text, and showing a request with its credentials masked.
#include "asc_webhookd/integrations/common/action.hpp"

#include "asc_webhookd/integrations/registry.hpp"
#include "asc_webhookd/outbound/request_check.hpp"
#include "asc_webhookd/rules/template.hpp"

#include <strings.h>

namespace asc_webhookd::actions {

using nlohmann::json;

std::optional<std::string> TokenCache::get(const std::string& key, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  auto it = tokens_.find(key);
  if (it == tokens_.end() || it->second.second - 5 * 60 * 1000 <= now_ms) return std::nullopt;
  return it->second.first;
}

void TokenCache::put(const std::string& key, std::string token, std::int64_t expires_ms) {
  std::lock_guard lock(mutex_);
  tokens_[key] = {std::move(token), expires_ms};
}

void TokenCache::drop(const std::string& key) {
  std::lock_guard lock(mutex_);
  tokens_.erase(key);
}


void fail(Outcome& out, std::string reason) {
  out.result.error = reason;
  out.decision = outbound::final_decision(std::move(reason));
}

void retry_later(Outcome& out, std::string reason) {
  out.result.error = reason;
  out.decision = outbound::retry_decision(std::move(reason));
}

void succeed(Outcome& out) {
  out.result.error.clear();
  out.decision = {outbound::Verdict::success, std::nullopt, ""};
}

namespace detail {

std::optional<std::string> render(const config::Template& t, const Job& job, Outcome& out, const std::string& what,
                                  rules::Escape escape) {
  auto r = rules::render(t.text, job.context, escape);
  if (!r) {
    fail(out, what + " template: " + r.error().message);
    return std::nullopt;
  }
  return *r;
}

std::optional<json> chat_message(const std::optional<config::Template>& text, const Job& job, Outcome& out,
                                 json (*from_text)(const std::string&), json (*builtin)(const json& context)) {
  if (!text) return builtin(job.context);
  auto t = render(*text, job, out, "text");
  if (!t) return std::nullopt;
  return from_text(*t);
}

std::optional<json> render_tree(const json& tree, const Job& job, Outcome& out, const std::string& what) {
  if (tree.is_string()) {
    auto s = render(config::Template{tree.get<std::string>(), {}}, job, out, what);
    if (!s) return std::nullopt;
    return json(*s);
  }
  if (tree.is_object() || tree.is_array()) {
    json copy = tree;
    for (auto it = copy.begin(); it != copy.end(); ++it) {
      auto v = render_tree(*it, job, out, what);
      if (!v) return std::nullopt;
      *it = std::move(*v);
    }
    return copy;
  }
  return tree;
}

outbound::ClientRequest webhook_post(const Job& job, const std::string& url, const json& body) {
  outbound::ClientRequest req;
  req.method = "POST";
  req.url = url;
  req.secrets.push_back(url);
  req.timeout = job.config.delivery.timeout;
  req.headers = {{"Content-Type", "application/json"}};
  req.body = body.dump();
  return req;
}

boost::asio::awaitable<std::optional<outbound::ClientResponse>> send(Services& s, Outcome& out, outbound::ClientRequest req,
                                                                const outbound::RetryPolicy& policy, ShowTarget show) {
  auto done = co_await outbound::exchange(s.http, std::move(req), policy, s.clock, show);
  out.target = std::move(done.target);
  out.result = std::move(done.result);
  out.decision = std::move(done.decision);
  co_return std::move(done.response);
}

}  // namespace detail

boost::asio::awaitable<Outcome> run(const Job& job, Services& s) {
  co_return co_await integrations::of(job.action).run(job, s);
}

}  // namespace asc_webhookd::actions
