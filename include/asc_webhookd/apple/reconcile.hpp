#pragma once
// Reconcile: nothing Apple tried to send is lost. A pass over one linked
// webhook lists Apple's delivery log since the last pass (overlapping it a
// little; at least reconcile.window back, never more than Apple's 10 days)
// and ingests every event this store does not have -- whatever Apple marked
// it -- through the same decode, plan and store path as a POST, with
// source "reconcile". Dedupe is the store's own, so an event that came both
// ways is planned once. Pings are skipped. The watermark (kv
// "reconcile:NAME") moves only when the whole listing was read and stored.
//
// make_reconciler runs a pass for each linked webhook at start and every
// reconcile.interval; its failures are logged, counted and left to the next
// pass: they never touch ingest or readiness.
#include "asc_webhookd/apple/api.hpp"
#include "asc_webhookd/apple/pass_loop.hpp"
#include "asc_webhookd/config/config.hpp"
#include "asc_webhookd/store/store.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>

namespace asc_webhookd::apple {

struct PassResult {
  std::string webhook;
  std::int64_t since_ms = 0;
  std::int64_t until_ms = 0;
  std::size_t deliveries = 0;  // listed (every state)
  std::size_t failed = 0;      // of those, FAILED or PENDING at Apple
  std::size_t pings = 0;       // skipped
  std::size_t stored = 0;      // ingested now: this store did not have them
  std::size_t already = 0;     // already stored (by POST or an earlier pass)
  std::size_t unreadable = 0;  // a payload that does not decode (logged)
  std::size_t jobs = 0;        // planned for the stored ones
  std::string error;           // why the pass stopped ("" when complete)
  bool rate_limited = false;
  // Apple's listing, for the health check (nullopt: Apple did not list it;
  // `listing_status` then says what it answered, 0 for no answer).
  std::optional<std::vector<Delivery>> listing;
  unsigned listing_status = 0;
  std::string summary() const;  // one line, for the log and `apple reconcile`
};

// How far back a pass asks: the watermark minus the overlap, but at least
// `window` back and never beyond Apple's 10 days.
std::int64_t pass_since(std::int64_t now_ms, std::optional<std::int64_t> watermark_ms, Duration window);

// One pass for `hook` (which has apple.webhook_id). `since_ms` overrides the
// watermark (the --since of `apple reconcile`).
boost::asio::awaitable<PassResult> reconcile_webhook(std::shared_ptr<const config::Config> cfg,
                                                     const config::WebhookConfig& hook, Api& api, store::Store& store,
                                                     std::int64_t now_ms, std::optional<std::int64_t> since_ms = {});

// Reconcile's background task: a pass for each linked webhook at start and
// every reconcile.interval.
std::unique_ptr<PassLoop> make_reconciler(boost::asio::io_context& io, PassLoop::ConfigSource config, store::Store& store,
                                          const Clock& clock, std::function<void()> jobs_stored);

}  // namespace asc_webhookd::apple
