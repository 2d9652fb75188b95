#pragma once
// The console's event-list parameters (?state=&webhook=&type=&q=&before=&limit=)
// read from a request target: the query, or a message naming the bad
// parameter. Total: any bytes in, an answer out.
#include "asc_webhookd/core/result.hpp"
#include "asc_webhookd/store/store.hpp"

#include <string_view>

namespace asc_webhookd::admin {

inline constexpr std::size_t kMaxEventsLimit = 500;

Result<store::EventQuery, Error> parse_event_query(std::string_view target);

}  // namespace asc_webhookd::admin
