#pragma once
// Internal to the apple commands (apple_commands.cpp): the config and API
// session one command works with, and the options they share.
#include "cli_commands.hpp"

#include "asc_webhookd/apple/api.hpp"
#include "asc_webhookd/outbound/transport.hpp"
#include "asc_webhookd/core/clock.hpp"
#include "asc_webhookd/outbound/client.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <ostream>
#include <vector>

namespace asc_webhookd::app::detail {

// One command's connection to the API: its own io_context, run to
// completion for each call.
struct AppleSession {
  boost::asio::io_context io;
  outbound::HttpClient client{io.get_executor()};
  outbound::ClientTransport transport{client};
  SystemClock clock;
  std::optional<apple::Api> api;

  template <class T>
  T run(boost::asio::awaitable<T> op) {
    std::optional<T> out;
    std::exception_ptr failure;
    boost::asio::co_spawn(io, std::move(op), [&](std::exception_ptr e, T v) {
      failure = e;
      if (!e) out.emplace(std::move(v));
    });
    io.restart();
    io.run();
    if (failure) std::rethrow_exception(failure);
    return std::move(*out);
  }
};

struct AppleContext {
  std::string config_path;
  std::shared_ptr<const config::Config> cfg;
  std::unique_ptr<AppleSession> session;
};

// The config with app_store_connect's key (and `also`) resolved, and a
// session for the API; nullopt (with `code`) when that cannot be.
std::optional<AppleContext> open_apple(const Args& a, std::ostream& err, int& code, std::vector<std::string> also = {});
// --webhook NAME from the config; null with `code` when missing or unknown.
const config::WebhookConfig* named_webhook(const AppleContext& ctx, const Args& a, std::ostream& err, int& code);
// The webhook's apple.webhook_id, or null with the next step said.
const config::WebhookConfig* linked_webhook(const AppleContext& ctx, const Args& a, std::ostream& err, int& code);
// --webhook NAME, else every webhook with apple.app_id (`linked`: with
// apple.webhook_id); nullopt with `code` when there is none.
std::optional<std::vector<const config::WebhookConfig*>> selected_webhooks(const AppleContext& ctx, const Args& a,
                                                                            std::ostream& err, int& code, bool linked);
// --since as epoch ms (default 3 days back, at most Apple's 10 days).
std::optional<std::int64_t> since_option(const Args& a, std::int64_t now_ms, std::ostream& err, int& code);
// Apple's error said; the exit code for it.
int api_failed(const apple::ApiError& e, std::ostream& err);
// The store, when there is one (the "stored here?" column, the ping's wait).
std::unique_ptr<store::Store> store_if_any(const AppleContext& ctx);

}  // namespace asc_webhookd::app::detail
