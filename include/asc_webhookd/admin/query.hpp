#pragma once
// The console's event-list parameters (?state=&webhook=&type=&q=&before=&limit=)
// read from a request target: the query, or a message naming the bad
// parameter. Total: any bytes in, an answer out.
#include "asc_webhookd/core/result.hpp"
#include "asc_webhookd/store/store.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

namespace asc_webhookd::admin {

inline constexpr std::size_t kMaxEventsLimit = 500;

Result<store::EventQuery, Error> parse_event_query(std::string_view target);

// A whole decimal number > 0 (a cursor, a limit, a job id), else nullopt.
std::optional<std::int64_t> positive_number(std::string_view s);

}  // namespace asc_webhookd::admin
