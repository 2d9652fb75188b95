#pragma once
// Hears the other replicas: a connection that LISTENs on the jobs channel
// and calls `changed` when another process's commit queued or freed jobs
// (its own workers' NOTIFYs are skipped: this process knows about those).
// Bursts are folded into one call per kDebounce. While the database cannot
// be reached it tries again every second, and calls `changed` once after
// it is back (what was sent meanwhile was missed). Private to src/store/pg.
#include "pg.hpp"

#include <chrono>
#include <functional>
#include <string>
#include <thread>

namespace asc_webhookd::store::pg {

inline constexpr const char* kJobsChannel = "asc_webhookd_jobs";

class Listener {
public:
  static constexpr auto kDebounce = std::chrono::milliseconds(20);

  // `own` says whether a NOTIFY came from one of this process's backends.
  Listener(std::string url, std::function<bool(int backend_pid)> own, std::function<void()> changed);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

private:
  void loop();
  bool listen();  // connects and LISTENs; false while the database is away
  std::string url_;
  std::function<bool(int)> own_;
  std::function<void()> changed_;
  Conn db_;
  int stop_fd_ = -1;  // an eventfd: written once to end loop()
  std::thread thread_;
};

}  // namespace asc_webhookd::store::pg
