#pragma once
// Events to store in the store's tests: a signed-looking build upload event
// of one instance, with `jobs` jobs in that instance's order.
#include "asc_webhookd/store/store.hpp"

#include <stdexcept>
#include <string>

namespace asc_webhookd::test {

inline event::Event upload_state_event(const std::string& id, const std::string& instance = "inst-1",
                                        const std::string& new_state = "COMPLETE") {
  auto body = R"({"data":{"type":"buildUploadStateUpdated","id":")" + id +
              R"(","version":1,"attributes":{"oldState":"PROCESSING","newState":")" + new_state +
              R"("},"relationships":{"instance":{"data":{"type":"buildUploads","id":")" + instance + R"("}}}}})";
  auto ev = event::decode_event(body);
  if (!ev) throw std::runtime_error(ev.error().message);
  return *ev;
}

inline store::NewEvent new_event(const std::string& id, int jobs, std::int64_t at_ms = 1000,
                                 const std::string& instance = "inst-1", const std::string& new_state = "COMPLETE") {
  store::NewEvent ne{"app", upload_state_event(id, instance, new_state), {}, at_ms};
  for (int i = 0; i < jobs; ++i)
    ne.jobs.push_back({"rule", i, "http", R"({"kind":"http"})", "app|buildUploads|" + instance + "|rule|" + std::to_string(i)});
  return ne;
}

}  // namespace asc_webhookd::test
