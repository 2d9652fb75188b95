#pragma once
// The review poller: customer reviews become events. Apple pushes none, so
// for each webhook with apple.app_id and apple.reviews a pass lists the
// app's reviews newest first (every page) down to a floor, and ingests each
// review as a customerReviewCreated event (event/review.hpp) through the
// same decode, plan and store path as a POST, with source "poll". Dedupe is
// the store's own (by review id), so a review is announced once, whichever
// page it is read on and however often.
//
// The floor: on the very first pass, `backfill` back; later, a day past the
// newest review stored (a review can appear late with an older date), never
// before the first pass's floor nor past store.retention (a pruned review
// would be announced again). The watermark (kv "reviews:NAME") moves only
// when a pass read down to its floor.
#include "asc_webhookd/apple/api.hpp"
#include "asc_webhookd/apple/pass_loop.hpp"
#include "asc_webhookd/config/config.hpp"
#include "asc_webhookd/store/store.hpp"

#include <boost/asio/awaitable.hpp>

#include <memory>

namespace asc_webhookd::apple {

struct ReviewPassResult {
  std::string webhook;
  std::int64_t since_ms = 0;  // the floor
  std::size_t pages = 0;
  std::size_t listed = 0;     // reviews read at or after the floor
  std::size_t stored = 0;     // new: stored now, planned, announced
  std::size_t already = 0;    // stored before (an earlier pass, the page before)
  std::size_t jobs = 0;       // planned for the stored ones
  std::string error;          // why the pass stopped ("" when complete)
  bool rate_limited = false;
  RateLimit rate_limit;       // Apple's, after the pass
  std::string summary() const;  // one line, for the log and `review poll`
};

// One pass for `hook` (which has apple.reviews).
boost::asio::awaitable<ReviewPassResult> poll_reviews(std::shared_ptr<const config::Config> cfg,
                                                      const config::WebhookConfig& hook, Api& api, store::Store& store,
                                                      std::int64_t now_ms);

// The background task: a pass for each such webhook at start and every
// apple.reviews.interval. Honours Apple's rate limit: after a 429 the
// webhook's next pass waits twice as long each time (up to an hour); when
// less than a twentieth of the key's hourly requests is left, passes come
// at most every 15 minutes. Failures are logged and counted
// (asc_webhookd_review_polls_total{webhook,result}) and left to the next pass.
std::unique_ptr<PassLoop> make_review_poller(boost::asio::io_context& io, PassLoop::ConfigSource config,
                                             store::Store& store, const Clock& clock, std::function<void()> jobs_stored);

}  // namespace asc_webhookd::apple
