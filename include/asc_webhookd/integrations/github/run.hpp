#pragma once
// Running a github action (run.cpp): its requests, and how its answers are read.
#include "asc_webhookd/integrations/common/action.hpp"

namespace asc_webhookd::actions::detail {

// How its answers are read: rate-limit 403s are retried.
const outbound::RetryPolicy& github_policy();
boost::asio::awaitable<Outcome> run_github(const Job& job, const config::GithubAction& a, Services& s);

}  // namespace asc_webhookd::actions::detail
