#pragma once
// Wall-clock time in milliseconds since the Unix epoch, behind an interface
// so that tests can move time by hand (ManualClock) instead of sleeping.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace asc_webhookd {

class Clock {
public:
  virtual ~Clock() = default;
  virtual std::int64_t now_ms() const = 0;
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
  void advance(std::chrono::milliseconds d) { now_ += d.count(); }
  void set(std::int64_t ms) { now_ = ms; }

private:
  std::atomic<std::int64_t> now_;
};

// A Unix time in milliseconds as UTC text; the default is RFC 3339 to the
// second ("2026-11-27T07:15:07Z").
std::string format_utc(std::int64_t ms, const char* strftime_format = "%Y-%m-%dT%H:%M:%SZ");

}  // namespace asc_webhookd
