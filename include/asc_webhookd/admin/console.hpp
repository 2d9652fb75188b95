#pragma once
// The delivery console: `/api/v1` (JSON) and `/ui` (one page served from the
// binary). Enabled by server.admin_token (else 404, as if absent). Every
// /api/v1 call carries `Authorization: Bearer <token>`, compared in constant
// time; a wrong or missing one gets 401 with WWW-Authenticate, and an
// address that keeps failing is answered ever more slowly. No cookies, so no
// other site can act for the user. State-changing calls are logged with the
// client address and the ids they touched.
#include "asc_webhookd/core/clock.hpp"
#include "asc_webhookd/http/router.hpp"
#include "asc_webhookd/store/store.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <memory>

namespace asc_webhookd::admin {

class Console {
public:
  using ConfigSource = std::function<std::shared_ptr<const config::Config>()>;
  Console(ConfigSource config, store::Store& store, const Clock& clock, std::function<void()> jobs_stored);
  ~Console();

  boost::asio::awaitable<http::Response> handle(http::Request& req, const http::RequestInfo& info);

  struct Impl;

private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace asc_webhookd::admin
