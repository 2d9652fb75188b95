#pragma once
// Running a slack action (run.cpp): its requests, and how its answers are read.
#include "asc_webhookd/integrations/common/action.hpp"

namespace asc_webhookd::actions::detail {

// How its answers are read: 200 with ok:false; ratelimited is retried.
const outbound::RetryPolicy& slack_api_policy();
boost::asio::awaitable<Outcome> run_slack(const Job& job, const config::SlackAction& a, Services& s);

// A Web API call with the bot token (masked wherever shown): `body` as
// `content_type` (JSON for chat.*, a form for files.getUploadURLExternal).
outbound::ClientRequest bot_call(const config::SlackConnection& c, const std::string& method, std::string content_type,
                                 std::string body, const Job& job);

// `attach:` (files.cpp): the feedback's files in the thread of the message
// the job posted (`thread_ts`, in channel `channel_id`), each through Slack's
// external upload; `progress` (saved under `progress_key`) keeps the files
// done, so a retry uploads only the rest. False when a call failed (`out`
// says why).
boost::asio::awaitable<bool> post_files(const Job& job, const config::SlackAction& a, const config::SlackConnection& conn,
                                        Services& s, Outcome& out, nlohmann::json& progress, const std::string& progress_key,
                                        const std::string& channel_id, const std::string& thread_ts);

}  // namespace asc_webhookd::actions::detail
