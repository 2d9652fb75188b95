#pragma once
// Apple's webhook management resources on a FakeAsc (Apple's
// "webhooks" and "webhookDeliveries"), with Apple's side of deliveries: the fake signs an event with
// the webhook's secret and POSTs it to the webhook's URL, and logs the
// outcome the way "Recent Deliveries" does (SUCCEEDED on 2xx, else FAILED
// with the status or the connection error). As observed on the live API,
// the delivery listing refuses `filter[deliveryState]`, needs a created-date
// filter within the last 10 days, pages at most 200 (and `page_size` here)
// and links the next page with an absolute URL on Apple's host.
#include "support/fake_asc.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace asc_webhookd::test {

class FakeAppleWebhooks {
public:
  struct Hook {
    std::string id, app_id, name, url, secret;
    bool enabled = false;
    std::vector<std::string> event_types;
  };
  struct Delivery {
    std::string id, webhook_id, state, error, event_type, payload;
    std::int64_t created_ms = 0;
    std::optional<int> http_status;
    bool ping = false;
  };

  explicit FakeAppleWebhooks(FakeAsc& asc);
  ~FakeAppleWebhooks();  // joins the ping deliveries

  void add_app(const std::string& app_id);
  // A webhook made in App Store Connect's UI (not through the API).
  std::string add_hook(const std::string& app_id, const std::string& url, const std::string& secret);
  // Apple delivers `payload` to the webhook now; the delivery's id.
  std::string deliver(const std::string& webhook_id, const std::string& payload, bool ping = false);
  // A delivery logged `age_ms` ago without being sent (Apple's queue).
  void log_pending(const std::string& webhook_id, const std::string& payload, std::int64_t age_ms = 0);
  void set_page_size(std::size_t n);
  // The switches of the webhook resource, as a person in App Store
  // Connect's UI (or another tool) flips them.
  void set_enabled(const std::string& webhook_id, bool enabled);
  void set_url(const std::string& webhook_id, const std::string& url);
  void set_event_types(const std::string& webhook_id, std::vector<std::string> types);
  void delete_hook(const std::string& webhook_id);  // then 404, and gone from the app's listing
  // The next GET /v1/webhooks/{id} is answered with this instead.
  void fail_next_webhook_read(FakeResponse r);
  std::size_t webhook_reads() const;  // GET /v1/webhooks/{id} so far
  // The next delivery listing is answered with this (429, 500 ...) instead.
  void fail_next_listing(FakeResponse r);
  // The next listing of the page at `cursor` is held (the daemon waits for
  // Apple mid-pass) until `release_listing` or the fake's end.
  void hold_listing_at(std::size_t cursor);
  bool wait_held(std::chrono::milliseconds timeout = std::chrono::seconds(10));  // a listing is being held
  void release_listing();

  std::vector<Hook> hooks() const;
  std::vector<Delivery> deliveries() const;
  std::vector<std::string> listing_queries() const;  // each delivery listing's query string
  std::size_t pings() const;

private:
  std::optional<FakeResponse> route(const FakeRequest& r, const std::string& path);
  FakeResponse list_deliveries(const std::string& id, const std::string& query);
  nlohmann::json hook_json(const Hook& h) const;
  Delivery send(const Hook& h, const std::string& payload, bool ping);

  mutable std::mutex mutex_;
  std::vector<std::string> apps_;
  std::vector<Hook> hooks_;
  std::vector<Delivery> deliveries_;
  std::vector<std::string> listing_queries_;
  std::vector<FakeResponse> listing_failures_;
  std::vector<FakeResponse> read_failures_;
  std::size_t webhook_reads_ = 0;
  std::optional<std::size_t> hold_cursor_;
  bool holding_ = false, released_ = false;
  std::condition_variable held_changed_;
  std::size_t page_size_ = 200;
  std::size_t pings_ = 0;
  int next_id_ = 1;
  std::vector<std::thread> senders_;
};

}  // namespace asc_webhookd::test
