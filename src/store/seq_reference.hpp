#pragma once
// How an operator names an event by its number, for every engine.
#include <cstdint>
#include <optional>
#include <string>

namespace asc_webhookd::store {

// "#12" names the event with seq 12 (and only that); anything else is a
// data.id. The seq, or nullopt for a data.id.
inline std::optional<std::int64_t> seq_reference(const std::string& id) {
  if (id.size() < 2 || id.size() > 19 || id[0] != '#' || id.find_first_not_of("0123456789", 1) != std::string::npos)
    return std::nullopt;
  return std::stoll(id.substr(1));
}

}  // namespace asc_webhookd::store
