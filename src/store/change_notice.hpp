#pragma once
// Who a store tells that its jobs may have become due: the delivery engine,
// through Store::watch_changes. Called from the engine's own watch (another
// process's commit, another replica's NOTIFY) and after this store's own
// operator calls that queue jobs (a requeue, a replay), which no watch
// reports. Private to src/store.
#include "asc_webhookd/store/errors.hpp"

#include <functional>
#include <mutex>

namespace asc_webhookd::store {

class ChangeNotice {
public:
  void set(std::function<void()> f) {
    std::lock_guard lock(mutex_);
    f_ = std::move(f);
  }
  bool armed() const {
    std::lock_guard lock(mutex_);
    return static_cast<bool>(f_);
  }
  void operator()() const {
    std::lock_guard lock(mutex_);
    if (f_) f_();
  }
  // Passes `r` through, telling when the call succeeded.
  template <class T>
  StoreResult<T> after(StoreResult<T> r) const {
    if (r) (*this)();
    return r;
  }

private:
  mutable std::mutex mutex_;
  std::function<void()> f_;
};

}  // namespace asc_webhookd::store
