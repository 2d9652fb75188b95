#pragma once
// POST /webhooks/{name}, without HTTP, for a webhook the caller has found:
// verify the signature over the exact bytes, then decode. Returns the status and JSON answer of
// docs/http.md plus what the log line needs. Throws nothing for bad input.
#include "asc_webhookd/config/config.hpp"
#include "asc_webhookd/ingest/event.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace asc_webhookd::ingest {

struct IngestOutcome {
  int status = 500;
  nlohmann::json body;
  std::string outcome;  // accepted | invalid_signature | bad_request
  std::optional<Event> event;
};

IngestOutcome handle_webhook(const config::WebhookConfig& hook, std::string_view signature_header,
                             std::string_view body);

}  // namespace asc_webhookd::ingest
