#pragma once
// Apple's customer reviews on a FakeAsc ("customerReviews" and
// "customerReviewResponses"), as the reference notes describe them: the
// app's list (sort by one key, filter[rating] and filter[territory] with
// Apple's alpha-3 codes, include=response, limit at most 200, paged with a
// cursor inside an absolute links.next on Apple's host that repeats every
// original parameter), one review, its response (404 when there is none),
// POST customerReviewResponses that creates or replaces (201,
// PENDING_PUBLISH; a new response id each time, as nothing promises it
// stays), DELETE of a response (204), and canned failures (429 with
// RATE_LIMIT_EXCEEDED, 5xx, 403 for a key that may not answer).
#include "support/fake_asc.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace asc_webhookd::test {

class FakeAppleReviews {
public:
  struct Response {
    std::string id, text, state;
    std::int64_t modified_ms = 0;
  };
  struct Review {
    std::string id;
    int rating = 5;
    std::string title, body, nickname, territory = "USA";
    std::int64_t created_ms = 0;
    std::optional<Response> response;
  };

  FakeAppleReviews(FakeAsc& asc, std::string app_id);
  ~FakeAppleReviews();  // a held listing is let go first

  // A review created `age` ago; its id.
  std::string add(int rating, std::chrono::milliseconds age, const std::string& territory = "USA",
                  const std::string& title = "", const std::string& body = "");
  void set_page_size(std::size_t n);
  // Right after the page at `cursor` is served, `r` arrives (newest): the
  // reviews behind it move one place down, so the next page repeats one.
  void arrive_after_page(std::size_t cursor, Review r);
  // The next listing is answered with this (429, 500 ...) instead.
  void fail_next_listing(FakeResponse r);
  // The next listing of the page at `cursor` is held (the poller waits for
  // Apple mid-pass) until `release_listing` or the fake's end.
  void hold_listing_at(std::size_t cursor);
  bool wait_held(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  void release_listing();
  // Replies are refused as for a key without the role (403).
  void forbid_replies(bool forbid);
  void publish(const std::string& review_id);  // Apple's review of the response passed
  // A response given earlier (in App Store Connect's UI).
  void seed_response(const std::string& review_id, const std::string& text, const std::string& state = "PUBLISHED");

  std::vector<std::string> listing_queries() const;  // each listing's query string
  std::vector<nlohmann::json> reply_bodies() const;  // each POST customerReviewResponses body
  std::vector<std::string> deleted() const;          // response ids deleted
  std::optional<Response> response_of(const std::string& review_id) const;

  static FakeResponse rate_limited();  // Apple's 429

private:
  std::optional<FakeResponse> route(const FakeRequest& r, const std::string& path);
  FakeResponse list(const std::string& query);
  FakeResponse reply(const FakeRequest& r);
  nlohmann::json review_json(const Review& r) const;
  nlohmann::json response_json(const Review& r) const;

  std::string app_id_;
  mutable std::mutex mutex_;
  std::vector<Review> reviews_;  // any order; listed by createdDate
  std::size_t page_size_ = 200;
  std::vector<std::pair<std::size_t, Review>> arrivals_;
  std::vector<FakeResponse> listing_failures_;
  std::optional<std::size_t> hold_cursor_;
  bool holding_ = false, released_ = false;
  std::condition_variable held_changed_;
  bool forbid_replies_ = false;
  std::vector<std::string> listing_queries_;
  std::vector<nlohmann::json> reply_bodies_;
  std::vector<std::string> deleted_;
  int next_id_ = 1;
};

}  // namespace asc_webhookd::test
