#pragma once
// Running a github action (run.cpp): its requests, and how its answers are read.
#include "asc_webhookd/integrations/common/action.hpp"

namespace asc_webhookd::actions::detail {

// How its answers are read: rate-limit 403s are retried.
const outbound::RetryPolicy& github_policy();
boost::asio::awaitable<Outcome> run_github(const Job& job, const config::GithubAction& a, Services& s);
// `issue:` (issue.cpp): an issue made once per submission and repository.
boost::asio::awaitable<Outcome> run_github_issue(const Job& job, const config::GithubAction& a, Services& s);

// GitHub's REST headers with the token (masked wherever shown).
void github_headers(outbound::ClientRequest& req, const std::string& token);
// The connection's token: its PAT, or an App installation token (cached,
// minted when needed); nullopt with `out` set when minting failed.
boost::asio::awaitable<std::optional<std::string>> github_token(const config::GithubConnection& c, const std::string& name,
                                                                Services& s, const Job& job, Outcome& out);

}  // namespace asc_webhookd::actions::detail
