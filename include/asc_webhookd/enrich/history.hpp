#pragma once
// Template data `history` (docs/configuration.md): the states an instance went
// through, with times, and the durations derived from them.
//   history.states                 [{state, at, duration: {seconds, text}}] by event time
//   history.<state, lower case>    total time spent in that state (e.g. history.processing)
//   history.waiting_for_review     from the entry before the last IN_REVIEW (normally
//                                  WAITING_FOR_REVIEW) to that IN_REVIEW
//   history.in_review              from the last IN_REVIEW to the entry after it
//   history.submission_to_release  from the first WAITING_FOR_REVIEW to the first
//                                  READY_FOR_DISTRIBUTION / READY_FOR_SALE after it
// Each duration is {"seconds": N, "text": "18h 53m"}. Entries without an
// event timestamp use the time they were received.
#include "asc_webhookd/store/store.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace asc_webhookd::enrich {

nlohmann::json history_data(const std::vector<store::HistoryEntry>& entries);

// "5d 2h 22m", "17h 4m", "28m", "45s".
std::string human_duration(std::int64_t seconds);

}  // namespace asc_webhookd::enrich
