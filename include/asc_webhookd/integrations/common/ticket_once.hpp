#pragma once
// A ticket (a Jira issue, a GitHub issue) made at most once per submission
// and destination, across retries, replays, restarts and replicas:
//  - the created key is recorded with the job's progress before anything
//    else happens, so the job's later attempts go on with that ticket;
//  - before creating, the destination is searched for the submission's
//    marker, so a replayed job (or another rule's) finds the ticket an
//    earlier job made; one made here within the search's lag, which the
//    search may not show yet, is taken from the store's record of it;
//  - a create whose outcome is unknown (timeout, cut connection, 5xx: the
//    server may have acted) is searched for only once the destination's
//    search has caught up (Services::ticket_search_lag after it): the
//    attempt is retried then, not at once.
#include "asc_webhookd/integrations/common/action.hpp"

#include <functional>
#include <optional>
#include <string>

namespace asc_webhookd::actions::detail {

struct TicketWays {
  // The destination's ticket carrying the marker: "" when none; nullopt
  // (with the Outcome set) when the search failed.
  std::function<boost::asio::awaitable<std::optional<std::string>>(Outcome&)> find;
  // A new ticket: its key or number; nullopt (with the Outcome set) when
  // the create failed.
  std::function<boost::asio::awaitable<std::optional<std::string>>(Outcome&)> create;
};

// The job's progress record (kv "progress:<job id>"): what earlier attempts
// of this job did.
struct Progress {
  std::string key;
  nlohmann::json value = nlohmann::json::object();
  static boost::asio::awaitable<Progress> load(const Job& job, Services& s);
  boost::asio::awaitable<void> save(Services& s) const;
};

struct Ticket {
  std::string key;    // MOB-12, #34
  std::string how;    // "created", "found by its marker", "made lately by another job", "recorded"
};

// `destination` names where tickets go (connection and project or
// repository); `marker` the submission (ticket_marker). The ticket's key, or
// nullopt with `out` saying why not yet.
boost::asio::awaitable<std::optional<Ticket>> ticket_once(Services& s, Outcome& out, Progress& progress,
                                                          const std::string& destination, const std::string& marker,
                                                          const TicketWays& ways);

}  // namespace asc_webhookd::actions::detail
