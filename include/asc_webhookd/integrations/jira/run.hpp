#pragma once
// Running a jira action (run.cpp): its requests, and how its answers are read.
#include "asc_webhookd/integrations/common/action.hpp"

namespace asc_webhookd::actions::detail {

// How its answers are read: 409 on a transition is retried.
const outbound::RetryPolicy& jira_policy();
boost::asio::awaitable<Outcome> run_jira(const Job& job, const config::JiraAction& a, Services& s);
// `create:` (create.cpp): the issue made once per submission, then the files attached once.
boost::asio::awaitable<Outcome> run_jira_create(const Job& job, const config::JiraAction& a, Services& s);

}  // namespace asc_webhookd::actions::detail
