#pragma once
// Running a slack action (run.cpp): its requests, and how its answers are read.
#include "asc_webhookd/integrations/common/action.hpp"

namespace asc_webhookd::actions::detail {

// How its answers are read: 200 with ok:false; ratelimited is retried.
const outbound::RetryPolicy& slack_api_policy();
boost::asio::awaitable<Outcome> run_slack(const Job& job, const config::SlackAction& a, Services& s);

}  // namespace asc_webhookd::actions::detail
