#pragma once
// Outbound requests as text for people, with every credential masked.
#include "asc_webhookd/outbound/client.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace asc_webhookd::outbound {

// `text` with each of `secrets` (4 bytes or longer) replaced by <redacted>.
std::string mask(std::string text, const std::vector<std::string>& secrets);

// The request as text: method and URL, headers, blank line, body, with every
// credential masked. For simulate and debug logs.
std::string describe(const outbound::ClientRequest& request);

// The request as a record keeps it: {"method", "url", "headers": [[name,
// value], ...], "body"}, credentials masked, the body as sent (cut beyond
// `max_body` bytes).
nlohmann::json request_json(const outbound::ClientRequest& request, std::size_t max_body);

}  // namespace asc_webhookd::outbound
