// The console's door: which paths it answers, the bearer token, slowing an
// address that keeps failing, and the page's files with their headers.
#include "console_impl.hpp"

#include "asc_webhookd/core/log.hpp"
#include "ui_assets.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/beast/http/field.hpp>
#include <openssl/crypto.h>

namespace asc_webhookd::admin {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;

namespace {

constexpr int kFreeFailures = 3;                  // then each answer to that address waits
constexpr std::int64_t kForgetMs = 10 * 60'000;   // failures older than this are forgotten
constexpr std::size_t kMaxTracked = 10'000;       // addresses remembered at most

// Equal lengths compared without an early exit; the length itself is not secret.
bool same_token(std::string_view given, std::string_view expected) {
  if (given.size() != expected.size()) return false;
  return CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
}

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

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
  // to a crawl, a user who mistyped once does not notice.
  const std::int64_t now = impl_->clock.now_ms();
  int failed = 0;
  {
    std::lock_guard lock(impl_->mutex);
    auto it = impl_->failures.find(info.remote);
    if (it != impl_->failures.end() && now - it->second.last_ms > kForgetMs) impl_->failures.erase(it);
    else if (it != impl_->failures.end()) failed = it->second.count;
  }
  std::chrono::milliseconds delayed{0};
  if (failed >= kFreeFailures) {
    delayed = std::chrono::milliseconds(std::min<std::int64_t>(250LL << std::min(failed - kFreeFailures, 5), 5000));
    net::steady_timer t(co_await net::this_coro::executor, delayed);
    co_await t.async_wait(net::use_awaitable);
  }
  const std::string auth(req[bhttp::field::authorization]);
  const bool bearer = auth.size() > 7 && auth.compare(0, 7, "Bearer ") == 0;
  if (!bearer || !same_token(std::string_view(auth).substr(7), cfg->server.admin_token->reveal())) {
    int count = 0;
    {
      std::lock_guard lock(impl_->mutex);
      if (impl_->failures.size() >= kMaxTracked) impl_->failures.clear();
      auto& f = impl_->failures[info.remote];
      count = ++f.count;
      f.last_ms = now;
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
