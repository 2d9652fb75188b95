#pragma once
// Running a http action (run.cpp): its requests, and how its answers are read.
#include "asc_webhookd/integrations/common/action.hpp"

namespace asc_webhookd::actions::detail {

// Its answers are read as plain HTTP (outbound::kPlainHttp).
boost::asio::awaitable<Outcome> run_http(const Job& job, const config::HttpAction& a, Services& s);

}  // namespace asc_webhookd::actions::detail
