#pragma once
// One outbound exchange as a delivery attempt records it: the request
// checked (one whose URL or headers would not stay data on the wire is not
// sent), sent through the Transport, its answer read (the service's own
// error text on a non-2xx) and decided on by the integration's RetryPolicy.
#include "asc_webhookd/core/clock.hpp"
#include "asc_webhookd/outbound/retry.hpp"
#include "asc_webhookd/outbound/transport.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>

namespace asc_webhookd::outbound {

// How the target shows in logs and records: the whole URL, or only its host
// when the URL may itself carry a credential (webhook URLs).
enum class ShowTarget { url, host };

struct Exchange {
  std::string target;                      // method and URL (or host), never a credential
  AttemptResult result;                    // what came back, for the record
  Decision decision;                       // success / retry (with a wait) / final
  std::optional<ClientResponse> response;  // the answer, when the decision is success
};

boost::asio::awaitable<Exchange> exchange(Transport& transport, ClientRequest request, const RetryPolicy& policy,
                                          const Clock& clock, ShowTarget show = ShowTarget::url);

// "https://host" of a URL, for logs (a webhook URL's path is its secret).
std::string redact_url(const std::string& url);

// A response's error text as the service phrases it: its "message",
// "errorMessages"/"errors" or "error", else the start of the body.
std::string service_message(const std::string& body);

}  // namespace asc_webhookd::outbound
