#include "worker.hpp"

namespace asc_webhookd::store::pg {

namespace {
constexpr std::size_t kMaxBatch = 1024;
}

StoreError store_error(const Failure& f) {
  errc code = errc::failed;
  if (f.connection_lost) code = errc::unavailable;
  else if (f.sqlstate == "53100") code = errc::disk_full;
  else if (f.sqlstate == "25006") code = errc::read_only;
  else if (f.sqlstate == "40001" || f.sqlstate == "40P01" || f.sqlstate == "55P03") code = errc::busy;
  else if (f.sqlstate.rfind("58", 0) == 0) code = errc::io_error;
  else if (f.sqlstate == "XX001" || f.sqlstate == "XX002") code = errc::corrupt;
  return {make_error_code(code), f.what()};
}

Worker::Worker(std::string url, std::string thread_name) : url_(std::move(url)), thread_name_(std::move(thread_name)) {}

std::string Worker::connect() {
  if (db_.ok()) return "";
  if (const int old = backend_pid_.exchange(0); old != 0) {
    past_pids_.push_back(old);
    if (past_pids_.size() > 32) past_pids_.erase(past_pids_.begin());  // older ones hold nothing by now
  }
  if (auto e = db_.open(url_, "asc-webhookd"); !e.empty()) return e;
  try {
    // 200 only after the commit is flushed, whatever the server's default.
    // A lock held by another replica's transaction (the same event, stored
    // there at the same moment) is waited for 5 s at most: a replica cut
    // off mid-transaction fails the events it blocks (503, sent again)
    // instead of stalling this one's batch. And the server ends a session
    // idle in a transaction for 15 s (its client was cut off: past the
    // answer limit it has given up), which frees those locks.
    db_.exec(
        "SET synchronous_commit = on; SET lock_timeout = '5s'; "
        "SET idle_in_transaction_session_timeout = '15s'");
  } catch (const Failure& f) {
    db_.close();
    return f.what();
  }
  backend_pid_ = db_.backend_pid();
  return "";
}

std::string Worker::start() {
  auto e = connect();
  if (!e.empty()) return e;
  thread_ = std::thread([this] {
    name_this_thread(thread_name_.c_str());
    loop();
  });
  return "";
}

void Worker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  db_.close();
}

void Worker::submit(Task t) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(t));
  }
  cv_.notify_one();
}

void Worker::loop() {
  for (;;) {
    std::vector<Task> batch;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued has run
      while (!queue_.empty() && batch.size() < kMaxBatch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    run_batch(batch);
  }
}

void Worker::run_batch(std::vector<Task>& batch) {
  auto fail_all = [&](const StoreError& why) {
    for (auto& t : batch) t.done(&why);
  };
  if (auto e = connect(); !e.empty()) return fail_all({make_error_code(errc::unavailable), e});
  std::optional<Failure> task_failure;
  try {
    db_.run("BEGIN");
    Tx tx{db_, false, past_pids_};
    for (auto& t : batch) {
      try {
        t.work(tx);
      } catch (const Failure& f) {
        task_failure = f;
        break;
      } catch (const std::exception& e) {
        task_failure = Failure(e.what(), "", false);
        break;
      }
    }
    if (!task_failure) {
      if (tx.jobs_changed) db_.run("SELECT pg_notify('asc_webhookd_jobs', '')");
      db_.run("COMMIT");
      for (auto& t : batch) t.done(nullptr);
      return;
    }
    if (!task_failure->connection_lost) db_.run("ROLLBACK");
  } catch (const Failure& f) {
    // BEGIN, NOTIFY or COMMIT failed: whether a COMMIT whose answer was
    // lost went through cannot be known; the callers are told it did not
    // (a sender's retry is then answered `duplicate`).
    if (f.connection_lost) db_.close();
    else {
      try {
        db_.run("ROLLBACK");
      } catch (const Failure&) {
        db_.close();
      }
    }
    return fail_all(store_error(f));
  }
  if (task_failure->connection_lost) {
    db_.close();
    return fail_all(store_error(*task_failure));
  }
  if (batch.size() == 1) {
    const auto why = store_error(*task_failure);
    return batch[0].done(&why);
  }
  for (auto& t : batch) {  // one at a time: only the bad task fails
    t.reset();
    std::vector<Task> one;
    one.push_back(std::move(t));
    run_batch(one);
  }
}

}  // namespace asc_webhookd::store::pg
