#pragma once
// The PostgreSQL store's worker: one connection and one thread that run
// queued tasks in batches, one transaction per batch (group commit: the
// events that arrive together share one commit, and with
// synchronous_commit on, one WAL flush). A task that fails rolls the batch
// back and each task runs again alone, so one bad task cannot sink the
// others. A lost connection fails the batch with the reason (ingest answers
// 503, never a 200 that is not committed) and the next batch connects
// again: the store recovers by itself when the database comes back.
// Private to src/store/pg.
#include "pg.hpp"

#include "asc_webhookd/core/thread_name.hpp"
#include "asc_webhookd/store/store.hpp"

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>

namespace asc_webhookd::store::pg {

// What a task sees: the connection inside the batch's transaction, and a
// flag it raises when jobs became due for the other replicas (a NOTIFY is
// sent once per batch, at its commit).
struct Tx {
  Conn& db;
  bool jobs_changed = false;
  // The backends this worker's connection had before the current one (a
  // lost connection, the database restarted): what it leased under them
  // is still this process's.
  const std::vector<int>& past_pids;
};

StoreError store_error(const Failure& f);

class Worker {
public:
  Worker(std::string url, std::string thread_name);
  ~Worker() { stop(); }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Connects once now (the error says why not) and starts the thread.
  std::string start();
  // Runs every queued task, then ends the thread.
  void stop();
  // The backend of this worker's connection (0 when not connected): its
  // own NOTIFYs are not news to this process.
  int backend_pid() const { return backend_pid_.load(); }

  // Queues `f(tx)` (it runs in the next batch's transaction) and answers
  // `done` with its value once committed, or with why not (`not_committed`
  // when the database gave no reason).
  template <class T, class F>
  void submit_for(F f, Completion<T> done, const char* not_committed) {
    auto value = std::make_shared<std::optional<std::conditional_t<std::is_void_v<T>, bool, T>>>();
    Task t;
    t.work = [f = std::move(f), value](Tx& tx) mutable {
      if constexpr (std::is_void_v<T>) {
        f(tx);
        *value = true;
      } else {
        *value = f(tx);
      }
    };
    t.done = [value, done = std::move(done), not_committed](const StoreError* error) {
      if (!error && *value) {
        if constexpr (std::is_void_v<T>) done(StoreResult<void>());
        else done(std::move(**value));
        return;
      }
      StoreError why = error ? *error : StoreError{};
      if (why.message.empty()) why.message = not_committed;
      done(why);
    };
    // Each run of the work starts from nothing (a batch rolled back runs again).
    t.reset = [value] { value->reset(); };
    submit(std::move(t));
  }

  // Runs `f(tx)` in the next batch and waits for its value, for the
  // blocking, low-rate calls.
  template <class F>
  auto run_sync(F f) -> StoreResult<std::invoke_result_t<F&, Tx&>> {
    using T = std::invoke_result_t<F&, Tx&>;
    std::promise<StoreResult<T>> p;
    auto fut = p.get_future();
    submit_for<T>(std::move(f), [&p](StoreResult<T> r) { p.set_value(std::move(r)); }, "the database did not commit");
    return fut.get();
  }

private:
  struct Task {
    std::function<void(Tx&)> work;
    std::function<void(const StoreError*)> done;
    std::function<void()> reset;
  };
  void submit(Task t);
  void loop();
  void run_batch(std::vector<Task>& batch);
  // Connects when not connected; the error, or "".
  std::string connect();

  std::string url_;
  std::string thread_name_;
  Conn db_;
  std::atomic<int> backend_pid_{0};
  std::vector<int> past_pids_;  // the worker thread's own: read by tasks, written by connect()
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Task> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace asc_webhookd::store::pg
