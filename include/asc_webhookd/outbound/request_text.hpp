#pragma once
// Outbound requests and answers as text for people, with every credential
// masked.
#include "asc_webhookd/outbound/client.hpp"

#include <string>
#include <vector>

namespace asc_webhookd::outbound {

// "https://host" of a URL, for logs (a webhook URL's path is its secret).
std::string redact_url(const std::string& url);

// `text` with each of `secrets` (4 bytes or longer) replaced by <redacted>.
std::string mask(std::string text, const std::vector<std::string>& secrets);

// The request as text: method and URL, headers, blank line, body, with every
// credential masked. For simulate and debug logs.
std::string describe(const outbound::ClientRequest& request);

// A response's error text as the service phrases it: its "message",
// "errorMessages"/"errors" or "error", else the start of the body.
std::string service_message(const std::string& body);

}  // namespace asc_webhookd::outbound
