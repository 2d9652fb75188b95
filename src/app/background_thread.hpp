#pragma once
// A thread of its own for slow work that must stay off the io threads (a
// reload's file reads, the hourly prune). Its body waits with wait(): woken
// by wake() (wakes that arrive while it works fold into one), by a timeout,
// or told to stop; the destructor stops and joins it.
#include "asc_webhookd/core/thread_name.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace asc_webhookd::app {

class BackgroundThread {
public:
  // `body` runs on the thread, named `name`, until it returns.
  BackgroundThread(std::string name, std::function<void(BackgroundThread&)> body)
      : thread_([this, name = std::move(name), body = std::move(body)] {
          name_this_thread(name.c_str());
          body(*this);
        }) {}
  ~BackgroundThread() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  BackgroundThread(const BackgroundThread&) = delete;
  BackgroundThread& operator=(const BackgroundThread&) = delete;

  void wake() {
    {
      std::lock_guard lock(mutex_);
      woken_ = true;
    }
    cv_.notify_one();
  }
  // Until woken or `timeout` passed (true: go on), or stopped (false).
  bool wait(std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
    std::unique_lock lock(mutex_);
    auto ready = [this] { return stop_ || woken_; };
    if (timeout) cv_.wait_for(lock, *timeout, ready);
    else cv_.wait(lock, ready);
    woken_ = false;
    return !stop_;
  }

private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool woken_ = false;
  bool stop_ = false;
  std::thread thread_;  // last: started once the rest exists
};

}  // namespace asc_webhookd::app
