#pragma once
// Benchmark builds only (ASC_WEBHOOKD_BENCH_CEILING, bench/run.sh with
// BENCH_CEILING=1): a Store that answers every ingest as accepted without
// storing it, so the benchmark measures the HTTP path alone (verify, parse,
// match, answer). Everything else goes to the real store. Swapped in at the
// composition root, never a branch on the request path.
#include "asc_webhookd/store/store.hpp"

namespace asc_webhookd::app {

class CeilingStore final : public store::Store {
public:
  explicit CeilingStore(store::Store& real) : real_(real) {}
  void ingest_async(store::NewEvent, store::Completion<store::Ingested> done) override {
    done(store::Ingested{});  // no jobs: nothing to wake delivery for
  }
  void lease_async(std::int64_t now_ms, std::int64_t lease_ms, std::size_t max_jobs,
                   store::Completion<store::Leased> done) override {
    real_.lease_async(now_ms, lease_ms, max_jobs, std::move(done));
  }
  void release_async(std::vector<std::int64_t> ids, store::Completion<void> done) override {
    real_.release_async(std::move(ids), std::move(done));
  }
  void take_back_unheld_async(std::vector<std::int64_t> held, store::Completion<std::size_t> done) override {
    real_.take_back_unheld_async(std::move(held), std::move(done));
  }
  void record_async(std::int64_t id, store::Attempt a, store::JobOutcome o, std::int64_t next_at,
                    store::Completion<void> done) override {
    real_.record_async(id, std::move(a), o, next_at, std::move(done));
  }
  void history_async(std::string w, std::string i, store::Completion<std::vector<store::HistoryEntry>> done) override {
    real_.history_async(std::move(w), std::move(i), std::move(done));
  }
  void kv_get_async(std::string k, store::Completion<std::optional<std::string>> done) override {
    real_.kv_get_async(std::move(k), std::move(done));
  }
  void kv_put_async(std::string k, std::string v, store::Completion<void> done) override {
    real_.kv_put_async(std::move(k), std::move(v), std::move(done));
  }
  void check_writable_async(store::Completion<void> done) override { real_.check_writable_async(std::move(done)); }
  void try_lead_async(std::string task, store::Completion<bool> done) override {
    real_.try_lead_async(std::move(task), std::move(done));
  }
  void release_lead_async(std::string task, store::Completion<void> done) override {
    real_.release_lead_async(std::move(task), std::move(done));
  }
  store::StoreResult<std::size_t> recover_running() override { return real_.recover_running(); }
  store::StoreResult<std::size_t> prune(std::int64_t before_ms) override { return real_.prune(before_ms); }
  store::StoreResult<std::size_t> retry_event(std::int64_t seq, std::int64_t now_ms) override {
    return real_.retry_event(seq, now_ms);
  }
  store::StoreResult<store::RetryOutcome> retry_job_now(std::int64_t id, std::int64_t now_ms) override {
    return real_.retry_job_now(id, now_ms);
  }
  store::StoreResult<std::vector<std::int64_t>> add_jobs(std::int64_t seq, const std::vector<store::NewJob>& jobs,
                                                         std::int64_t now_ms) override {
    return real_.add_jobs(seq, jobs, now_ms);
  }
  store::StoreResult<std::vector<store::EventView>> list_events(const store::EventQuery& q) override {
    return real_.list_events(q);
  }
  store::StoreResult<std::vector<store::EventView>> find_events(const std::string& ref) override {
    return real_.find_events(ref);
  }
  store::StoreResult<std::optional<store::EventView>> event(std::int64_t seq) override { return real_.event(seq); }
  store::StoreResult<store::StoreStats> stats(const std::string& p) override { return real_.stats(p); }
  store::StoreResult<std::size_t> count_jobs(const std::string& s) override { return real_.count_jobs(s); }
  bool watch_changes(std::function<void()> changed) override { return real_.watch_changes(std::move(changed)); }

private:
  store::Store& real_;
};

}  // namespace asc_webhookd::app
