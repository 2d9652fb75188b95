#pragma once
// Internal to delivery/: the actions' KeyValue (chat thread ids, what an
// integration remembers, per-job progress) kept in the store's key-value table.
// A store that cannot answer reads as "not kept": the action goes on
// without it (a new thread rather than no message).
#include "asc_webhookd/integrations/common/action.hpp"
#include "asc_webhookd/store/async.hpp"

namespace asc_webhookd::delivery {

class StoreKeyValue final : public actions::KeyValue {
public:
  explicit StoreKeyValue(store::Store& s) : store_(s) {}
  boost::asio::awaitable<std::optional<std::string>> get(std::string key) override {
    auto start = [this, key = std::move(key)](auto cb) mutable { store_.kv_get_async(std::move(key), std::move(cb)); };
    auto value = co_await store::await_store<store::StoreResult<std::optional<std::string>>>(std::move(start));
    if (!value) co_return std::nullopt;
    co_return std::move(*value);
  }
  boost::asio::awaitable<bool> put(std::string key, std::string value) override {
    auto start = [this, key = std::move(key), value = std::move(value)](auto cb) mutable {
      store_.kv_put_async(std::move(key), std::move(value), std::move(cb));
    };
    auto kept = co_await store::await_store<store::StoreResult<void>>(std::move(start));
    co_return kept.has_value();
  }

private:
  store::Store& store_;
};

}  // namespace asc_webhookd::delivery
