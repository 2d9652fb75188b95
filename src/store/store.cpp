#include "asc_webhookd/store/store.hpp"


namespace asc_webhookd::store {

std::string Store::several_named(const std::string& reference, const std::vector<EventView>& found) {
  if (found.size() < 2) return "";
  std::string out = "event id " + reference + " names " + std::to_string(found.size()) + " events:";
  for (std::size_t i = 0; i < found.size(); ++i)
    out += std::string(i ? "," : "") + " #" + std::to_string(found[i].seq) + " (webhook " + found[i].webhook + ", " +
           found[i].type + ")";
  return out + "; name one by its #SEQ";
}

}  // namespace asc_webhookd::store
