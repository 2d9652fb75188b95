#pragma once
// A job as the store keeps it: what the rules planned for one event, in its
// stored form. Its own header so that the rules can plan jobs without
// knowing the store, and the store can keep them without knowing config.
#include <string>

namespace asc_webhookd::store {

struct NewJob {
  std::string rule;
  int action_index = 0;
  std::string kind;       // the action's kind: its integration's name
  std::string stored;     // the action's stored form (JSON text, no secrets)
  std::string order_key;  // jobs with the same key are delivered in id order
};

}  // namespace asc_webhookd::store
