#pragma once
// Running a gitlab action (run.cpp): its requests, and how its answers are read.
#include "asc_webhookd/integrations/common/action.hpp"

namespace asc_webhookd::actions::detail {

// How its answers are read: 400 "Too many pipelines created in the last minute" is retried.
const outbound::RetryPolicy& gitlab_policy();
boost::asio::awaitable<Outcome> run_gitlab(const Job& job, const config::GitlabAction& a, Services& s);

}  // namespace asc_webhookd::actions::detail
