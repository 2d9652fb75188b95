#pragma once
// Internal to src/admin: what the console's parts share — the config, the
// store (its blocking calls run on the console's own thread, never on an io
// thread), the per-address record of failed logins, and the answers' form.
#include "asc_webhookd/admin/console.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include <map>
#include <mutex>
#include <string>

namespace asc_webhookd::admin {

struct Console::Impl {
  ConfigSource config;
  store::Store& store;
  const Clock& clock;
  std::function<void()> jobs_stored;
  boost::asio::thread_pool pool{1};

  std::mutex mutex;  // guards failures
  struct Failures {
    int count = 0;
    std::int64_t last_ms = 0;
    std::int64_t next_ms = 0;  // when the next answer to this address may go out
  };
  // By client address, and by "via " + the proxy's address for requests
  // that came through a trusted proxy (whose X-Forwarded-For a client that
  // can reach the proxy chooses).
  std::map<std::string, Failures> failures;

  Impl(ConfigSource c, store::Store& s, const Clock& k, std::function<void()> j)
      : config(std::move(c)), store(s), clock(k), jobs_stored(std::move(j)) {}
  ~Impl() { pool.join(); }

  // Runs a blocking store call on the console's thread; the caller resumes
  // on its own executor.
  template <class F>
  boost::asio::awaitable<std::invoke_result_t<F>> blocking(F f) {
    using R = std::invoke_result_t<F>;
    // Named, not written inside the co_await: GCC 12 miscompiles capturing
    // lambdas in co_await expressions (gcc bug 107288).
    auto run = [f = std::move(f)]() mutable -> boost::asio::awaitable<R> { co_return f(); };
    auto op = boost::asio::co_spawn(pool.get_executor(), std::move(run), boost::asio::use_awaitable);
    co_return co_await std::move(op);
  }

  // /api/v1/...: the authenticated request's answer.
  boost::asio::awaitable<http::Response> api(http::Request& req, const http::RequestInfo& info, std::string_view path);
  // /api/v1/reviews/{id}[/response] (reviews_api.cpp).
  boost::asio::awaitable<http::Response> reviews(http::Request& req, const http::RequestInfo& info,
                                                 const std::string& review_id, bool response_path);
};

// A JSON answer, and {"error": message} ones.
http::Response api_json(unsigned status, const nlohmann::json& body, const http::Request& req, const http::RequestInfo& info);
http::Response api_error(unsigned status, const std::string& message, const http::Request& req, const http::RequestInfo& info);

}  // namespace asc_webhookd::admin
