#pragma once
// An event this daemon found itself rather than received: in Apple's
// delivery log (reconcile), in Apple's reviews (the poller), or in its own
// check of Apple's webhook (the health monitor). It is planned with the
// rules and stored exactly like a POST, with `source` saying where it came
// from; the store's dedupe makes one found twice a duplicate.
#include "asc_webhookd/config/config.hpp"
#include "asc_webhookd/event/event.hpp"
#include "asc_webhookd/store/store.hpp"

#include <boost/asio/awaitable.hpp>

#include <string>

namespace asc_webhookd::apple {

boost::asio::awaitable<store::StoreResult<store::Ingested>> store_found_event(const config::Config& cfg,
                                                                              const std::string& webhook,
                                                                              event::Event event, std::int64_t now_ms,
                                                                              std::string source, store::Store& store);

}  // namespace asc_webhookd::apple
