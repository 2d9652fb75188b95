#pragma once
// The ingest pipeline: one POST /webhooks/{name} for a webhook the router
// found, without HTTP. Verify the signature over the exact bytes, decode the
// typed event, plan its jobs (rules are matched now, so a 200 already means
// "these actions will run"), store the event and its jobs in one durable
// commit, and answer as docs/http.md says: 401, 400, 200 accepted or
// duplicate, or 503 when nothing could be stored. Counts the outcome and
// logs one line. Throws nothing for bad input.
#include "asc_webhookd/config/config.hpp"
#include "asc_webhookd/core/clock.hpp"
#include "asc_webhookd/store/store.hpp"

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <string_view>

namespace asc_webhookd::ingest {

struct Answer {
  unsigned status = 500;
  nlohmann::json body;
};

// What receiving needs besides the request.
struct Sink {
  store::Store& store;
  const Clock& clock;
  std::function<void()> jobs_stored;  // wakes the delivery workers
};

// Where the request came from, for the log line.
struct Origin {
  std::string_view remote;
  std::string_view request_id;
};

boost::asio::awaitable<Answer> receive(const config::Config& cfg, const config::WebhookConfig& hook,
                                       std::string_view signature_header, std::string_view body, const Sink& sink,
                                       Origin origin);

}  // namespace asc_webhookd::ingest
