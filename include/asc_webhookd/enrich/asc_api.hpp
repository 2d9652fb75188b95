#pragma once
// The App Store Connect API, for enrichment (docs/configuration.md,
// "App Store Connect enrichment"): an ES256 JWT from the .p8 key
// (team key: iss; individual key: sub "user"; aud appstoreconnect-v1; 19
// minutes; reused until a minute before it expires), a GET of the event's
// instance link with useful includes, an answer reused only by the jobs of
// the event it was fetched for (one request in flight per event and URL, so
// several jobs of one event make one call; a later event about the same
// resource always asks again: its state may have changed since),
// X-Rate-Limit exported as metrics. Links to hosts other than Apple's API
// hosts are refused: the token only ever goes to base_url.
#include "asc_webhookd/outbound/transport.hpp"
#include "asc_webhookd/config/config.hpp"
#include "asc_webhookd/core/clock.hpp"
#include "asc_webhookd/apple/access.hpp"
#include "asc_webhookd/outbound/retry.hpp"
#include "asc_webhookd/event/event.hpp"

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>

namespace asc_webhookd::enrich {

struct Enrichment {
  enum class Status { enriched, absent, failed };
  Status status = Status::absent;
  nlohmann::json response;          // enriched: the API answer ({data, included})
  std::string crash_log;            // crash feedback: the log text (bounded)
  std::string app_version;          // feedback: the build's pre-release version ("" when unknown)
  outbound::AttemptResult failure;      // failed: what the API answered, for the record
  outbound::Decision decision;          // failed: retry or final, by the plain HTTP rules
  std::string target;               // "GET https://..." of the call
  std::string note;                 // absent: why ("no instance", "404", "link to … refused")
  // Why there is no `instance`, as a bounded label (the metric's `reason`):
  // the HTTP status ("401", "404"), "network", "no_data", "refused_link",
  // "unexpected_answer"; "" when enriched, or when the event has no instance.
  std::string reason;
};

class AscApi {
public:
  static Result<std::shared_ptr<AscApi>, Error> create(const config::AppStoreConnectConfig& cfg, const Clock& clock);

  // `event_seq` names the stored event: answers are shared by its jobs only.
  // `fresh`: asked of Apple again, not taken from the cache (a screenshot
  // URL in the cached answer has expired).
  boost::asio::awaitable<Enrichment> enrich(const event::Event& event, std::int64_t event_seq, outbound::Transport& http,
                                            Duration timeout, bool fresh = false);

  // A feedback submission's screenshots (`feedback.screenshots`) read again
  // from Apple: the URLs of an earlier answer expire. nullopt when the
  // lookup failed.
  boost::asio::awaitable<std::optional<nlohmann::json>> fresh_screenshots(event::Event event, std::int64_t event_seq,
                                                                          outbound::Transport& http, Duration timeout);

  bool same_config(const config::AppStoreConnectConfig& cfg) const;

  // The request URL for an event's instance ("" with `why` when refused).
  std::string instance_url(const event::Event& event, std::string& why) const;

private:
  AscApi(config::AppStoreConnectConfig cfg, apple::TokenMinter token, const Clock& clock)
      : cfg_(std::move(cfg)), token_(std::move(token)), clock_(clock) {}
  struct Flight;
  boost::asio::awaitable<Enrichment> get(const std::string& url, std::int64_t event_seq, outbound::Transport& http,
                                         Duration timeout, bool fresh = false);

  config::AppStoreConnectConfig cfg_;
  apple::TokenMinter token_;
  const Clock& clock_;
  struct Cached {
    Enrichment value;
    std::int64_t until_ms;
  };
  std::map<std::string, Cached> cache_;
  std::map<std::string, std::shared_ptr<Flight>> flights_;
};

// Adds what an Enrichment found to the template data.
void add_enrichment(nlohmann::json& context, const Enrichment& e);

// Why `instance` is absent after this lookup, for `enrichment.error` and the
// built-in messages ("" when it was enriched, or the event has no instance).
std::string enrichment_error(const Enrichment& e);

}  // namespace asc_webhookd::enrich
