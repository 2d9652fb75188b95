#include "asc_webhookd/admin/query.hpp"

#include <boost/url/parse.hpp>

#include <charconv>

namespace asc_webhookd::admin {

std::optional<std::int64_t> positive_number(std::string_view s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

Result<store::EventQuery, Error> parse_event_query(std::string_view target) {
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return Error{"the query string is not valid"};
  store::EventQuery q;
  for (auto p : url->params()) {
    const std::string key = p.key, value = p.value;
    if (key == "state") {
      if (value != "pending" && value != "done" && value != "dead" && !value.empty())
        return Error{"state must be pending, done or dead, not \"" + value + "\""};
      q.state = value;
    } else if (key == "webhook") {
      q.webhook = value;
    } else if (key == "type") {
      q.type = value;
    } else if (key == "q") {
      q.q = value;
    } else if (key == "before") {
      auto n = positive_number(value);
      if (!n) return Error{"before must be an event's seq (the \"next\" of the previous page), not \"" + value + "\""};
      q.before_seq = *n;
    } else if (key == "limit") {
      auto n = positive_number(value);
      if (!n || *n > static_cast<std::int64_t>(kMaxEventsLimit))
        return Error{"limit must be a number from 1 to 500, not \"" + value + "\""};
      q.limit = static_cast<std::size_t>(*n);
    } else {
      return Error{"unknown parameter \"" + key + "\" (state, webhook, type, q, before, limit)"};
    }
  }
  return q;
}

}  // namespace asc_webhookd::admin
