// Microsoft Teams through a Workflows webhook (Microsoft's Workflows webhook docs): an
// Adaptive Card POSTed to the trigger URL, whose `sig` is the credential (no
// Authorization header: the flow refuses a second scheme). 202 only means
// the flow was queued; any 2xx is success.
#include "asc_webhookd/integrations/teams/run.hpp"
#include "asc_webhookd/integrations/teams/card.hpp"

namespace asc_webhookd::actions::detail {

using nlohmann::json;

boost::asio::awaitable<Outcome> run_teams(const Job& job, const config::TeamsAction& a, Services& s) {
  Outcome out;
  const auto* conn = connection(job.config.connections.teams, a.connection, "teams", out);
  if (!conn) co_return out;
  auto card = chat_message(a.text, job, out, &text_teams_card, &builtin_teams_card);
  if (!card) co_return out;
  // Named first: GCC 12 destroys some temporaries of a co_await's full
  // expression twice.
  auto req = webhook_post(job, conn->webhook_url.reveal(), conn->bare_card ? *card : teams_message(*card));
  co_await send(s, out, std::move(req), outbound::kPlainHttp, ShowTarget::host);
  co_return out;
}

}  // namespace asc_webhookd::actions::detail
