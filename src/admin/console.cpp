// The console's door: which paths it answers, the bearer token, slowing an
// address that keeps failing, and the page's files with their headers.
#include "console_impl.hpp"

#include "asc_webhookd/core/log.hpp"
#include "ui_assets.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>
#include <openssl/crypto.h>

#include <algorithm>

namespace asc_webhookd::admin {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;

namespace {

constexpr int kFreeFailures = 3;                  // then each answer to that address waits
constexpr int kFreeProxyFailures = 30;            // the same for all the clients behind one proxy
constexpr std::int64_t kForgetMs = 10 * 60'000;   // failures older than this are forgotten
constexpr std::size_t kMaxTracked = 10'000;       // addresses remembered at most

// Equal lengths compared without an early exit; the length itself is not secret.
bool same_token(std::string_view given, std::string_view expected) {
  if (given.size() != expected.size()) return false;
  return CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
}

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

// How long each answer waits after `failed` failures (`free` of them free):
// 250 ms doubling to 5 s.
std::int64_t delay_after(int failed, int free) {
  return failed < free ? 0 : std::min<std::int64_t>(250LL << std::min(failed - free, 5), 5000);
}

// Makes room for one more address: forgets the stale ones, then the one
// that failed longest ago (never everyone at once: that would reset the
// slowdown of the address that filled the table).
void make_room(std::map<std::string, Console::Impl::Failures>& failures, std::int64_t now) {
  if (failures.size() < kMaxTracked) return;
  std::erase_if(failures, [now](const auto& f) { return now - f.second.last_ms > kForgetMs && f.second.next_ms <= now; });
  if (failures.size() < kMaxTracked) return;
  auto oldest = std::min_element(failures.begin(), failures.end(),
                                 [](const auto& a, const auto& b) { return a.second.last_ms < b.second.last_ms; });
  failures.erase(oldest);
}

http::Response asset_response(const UiAsset& a, const http::Request& req, const http::RequestInfo& info) {
  http::Response res{bhttp::status::ok, req.version()};
  res.set(bhttp::field::server, "asc-webhookd/" ASC_WEBHOOKD_VERSION);
  res.set(bhttp::field::content_type, a.content_type);
  res.set(bhttp::field::cache_control, "no-store");
  res.set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  res.set("X-Frame-Options", "DENY");
  res.set("Referrer-Policy", "no-referrer");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("X-Request-Id", info.request_id);
  res.body() = std::string(a.body);
  res.prepare_payload();
  return res;
}

}  // namespace

http::Response api_json(unsigned status, const nlohmann::json& body, const http::Request& req, const http::RequestInfo& info) {
  auto res = http::json_response(status, http::json_text(body), req, info);
  res.set(bhttp::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  return res;
}

http::Response api_error(unsigned status, const std::string& message, const http::Request& req, const http::RequestInfo& info) {
  return api_json(status, {{"error", message}}, req, info);
}

Console::Console(ConfigSource config, store::Store& store, const Clock& clock, std::function<void()> jobs_stored)
    : impl_(std::make_shared<Impl>(std::move(config), store, clock, std::move(jobs_stored))) {}

Console::~Console() = default;

net::awaitable<http::Response> Console::handle(http::Request& req, const http::RequestInfo& info) {
  auto cfg = impl_->config();
  const std::string_view path = path_of(req.target());
  if (!cfg->server.admin_token) co_return http::json_response(404, http::json_text({{"error", "no route for " + std::string(path)}}), req, info);

  if (path == "/ui" || path.rfind("/ui/", 0) == 0) {
    if (req.method() != bhttp::verb::get && req.method() != bhttp::verb::head) {
      auto res = api_error(405, "method not allowed; use GET", req, info);
      res.set(bhttp::field::allow, "GET");
      co_return res;
    }
    if (const UiAsset* a = find_ui_asset(path)) co_return asset_response(*a, req, info);
    co_return api_error(404, "no route for " + std::string(path), req, info);
  }

  // An address that keeps failing waits before any answer: guessing slows
  // to a crawl, a user who mistyped once does not notice. The waits queue
  // up per address (tries in parallel wait one after the other), and the
  // clients behind one proxy share a second, larger allowance (a new
  // X-Forwarded-For per try is a new client address, not a new proxy).
  const std::int64_t now = impl_->clock.now_ms();
  const std::string via = info.peer.empty() || info.peer == info.remote ? "" : "via " + info.peer;
  int failed = 0;
  std::int64_t answer_at = now;
  {
    std::lock_guard lock(impl_->mutex);
    for (const auto& [key, free] : {std::pair{info.remote, kFreeFailures}, std::pair{via, kFreeProxyFailures}}) {
      if (key.empty()) continue;
      auto it = impl_->failures.find(key);
      if (it == impl_->failures.end()) continue;
      auto& f = it->second;
      if (now - f.last_ms > kForgetMs && f.next_ms <= now) {
        impl_->failures.erase(it);
        continue;
      }
      if (key == info.remote) failed = f.count;
      if (const auto wait = delay_after(f.count, free); wait > 0) {
        f.next_ms = std::max(f.next_ms, now) + wait;
        answer_at = std::max(answer_at, f.next_ms);
      }
    }
  }
  const std::chrono::milliseconds delayed{answer_at - now};
  if (delayed.count() > 0) {
    net::steady_timer t(co_await net::this_coro::executor, delayed);
    co_await t.async_wait(net::use_awaitable);
  }
  const std::string auth(req[bhttp::field::authorization]);
  // The scheme's name is case-insensitive (RFC 9110 §11.1).
  const bool bearer = auth.size() > 7 && boost::beast::iequals(std::string_view(auth).substr(0, 7), "Bearer ");
  if (!bearer || !same_token(std::string_view(auth).substr(7), cfg->server.admin_token->reveal())) {
    int count = 0;
    {
      std::lock_guard lock(impl_->mutex);
      for (const auto& key : {info.remote, via}) {
        if (key.empty()) continue;
        if (!impl_->failures.contains(key)) make_room(impl_->failures, now);
        auto& f = impl_->failures[key];
        if (key == info.remote) count = f.count + 1;
        ++f.count;
        f.last_ms = now;
      }
    }
    log::get("admin")->warn("admin unauthorized remote={} path={} failures={} delayed_ms={} request_id={}", info.remote,
                            path, count, delayed.count(), info.request_id);
    auto res = api_error(401, "unauthorized", req, info);
    res.set(bhttp::field::www_authenticate, "Bearer realm=\"asc-webhookd\"");
    co_return res;
  }
  if (failed) {
    std::lock_guard lock(impl_->mutex);
    impl_->failures.erase(info.remote);
  }
  co_return co_await impl_->api(req, info, path);
}

}  // namespace asc_webhookd::admin
