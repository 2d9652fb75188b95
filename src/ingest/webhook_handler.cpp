#include "asc_webhookd/ingest/webhook_handler.hpp"

#include "asc_webhookd/ingest/signature.hpp"

#include <vector>

namespace asc_webhookd::ingest {

IngestOutcome handle_webhook(const config::WebhookConfig& hook, std::string_view signature_header,
                             std::string_view body) {
  IngestOutcome out;
  std::vector<const Secret*> secrets{&hook.secret};
  for (const auto& s : hook.previous_secrets) secrets.push_back(&s);
  if (!verify(signature_header, body, secrets)) {
    out.status = 401;
    out.outcome = "invalid_signature";
    out.body = {{"error", "invalid signature"}};
    return out;
  }
  auto decoded = decode_event(body);
  if (!decoded) {
    out.status = 400;
    out.outcome = "bad_request";
    out.body = {{"error", decoded.error().message}};
    return out;
  }
  out.status = 200;
  out.outcome = "accepted";
  out.body = {{"status", "accepted"}, {"id", decoded->id}, {"jobs", 0}};
  out.event = std::move(*decoded);
  return out;
}

}  // namespace asc_webhookd::ingest
