#pragma once
// Wall-clock time in milliseconds since the Unix epoch, behind an interface
// so that tests can move time by hand (ManualClock) instead of sleeping.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

namespace asc_webhookd {

class Clock {
public:
  virtual ~Clock() = default;
  virtual std::int64_t now_ms() const = 0;
  // `moved` is called whenever time jumps by hand (ManualClock), so a
  // sleeper waiting for a due time can look again; null stops the calls.
  // Real time needs no call: sleepers use timers.
  virtual void watch(std::function<void()> moved) const { (void)moved; }
};

class SystemClock final : public Clock {
public:
  std::int64_t now_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

class ManualClock final : public Clock {
public:
  explicit ManualClock(std::int64_t start_ms = 1'750'000'000'000) : now_(start_ms) {}
  std::int64_t now_ms() const override { return now_.load(); }
  void advance(std::chrono::milliseconds d) {
    now_ += d.count();
    moved();
  }
  void set(std::int64_t ms) {
    now_ = ms;
    moved();
  }
  void watch(std::function<void()> moved) const override {
    std::lock_guard lock(mutex_);
    moved_ = std::move(moved);
  }

private:
  void moved() const {
    std::lock_guard lock(mutex_);
    if (moved_) moved_();
  }
  std::atomic<std::int64_t> now_;
  mutable std::mutex mutex_;
  mutable std::function<void()> moved_;
};

// A Unix time in milliseconds as UTC text; the default is RFC 3339 to the
// second ("2026-11-27T07:15:07Z").
std::string format_utc(std::int64_t ms, const char* strftime_format = "%Y-%m-%dT%H:%M:%SZ");

}  // namespace asc_webhookd
