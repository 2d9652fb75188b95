#pragma once
// Running a discord action (run.cpp): its requests, and how its answers are read.
#include "asc_webhookd/integrations/common/action.hpp"

namespace asc_webhookd::actions::detail {

// How its answers are read: a 429's retry_after (seconds, with decimals).
const outbound::RetryPolicy& discord_policy();
boost::asio::awaitable<Outcome> run_discord(const Job& job, const config::DiscordAction& a, Services& s);

}  // namespace asc_webhookd::actions::detail
