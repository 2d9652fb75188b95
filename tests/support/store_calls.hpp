#pragma once
// The store's *_async calls made blocking, for tests: each waits for the
// store's answer. The daemon never blocks on these paths; a test does.
#include "asc_webhookd/store/store.hpp"

#include <future>
#include <stdexcept>

namespace asc_webhookd::test {

// Calls `start(completion)` and waits for the StoreResult<T> it answers.
template <class T, class Start>
store::StoreResult<T> wait_store(Start start) {
  std::promise<store::StoreResult<T>> p;
  auto f = p.get_future();
  start([&p](store::StoreResult<T> r) { p.set_value(std::move(r)); });
  return f.get();
}

inline store::StoreResult<bool> try_lead(store::Store& st, const std::string& task) {
  return wait_store<bool>([&](auto cb) { st.try_lead_async(task, std::move(cb)); });
}

inline store::StoreResult<void> release_lead(store::Store& st, const std::string& task) {
  return wait_store<void>([&](auto cb) { st.release_lead_async(task, std::move(cb)); });
}

inline store::StoreResult<store::Ingested> ingest(store::Store& st, store::NewEvent event) {
  return wait_store<store::Ingested>([&](auto cb) { st.ingest_async(std::move(event), std::move(cb)); });
}

// Stored as new (not a duplicate, not failed).
inline bool accepted(const store::StoreResult<store::Ingested>& r) { return r && !r->duplicate; }
inline bool duplicate(const store::StoreResult<store::Ingested>& r) { return r && r->duplicate; }

inline store::StoreResult<store::Leased> lease(store::Store& st, std::int64_t now_ms, std::int64_t lease_ms,
                                               std::size_t max_jobs) {
  return wait_store<store::Leased>([&](auto cb) { st.lease_async(now_ms, lease_ms, max_jobs, std::move(cb)); });
}

// One job leased, or none and when the next is due; a failed lease throws
// (the test fails with the store's reason).
struct OneLease {
  std::optional<store::LeasedJob> job;
  std::optional<std::int64_t> next_due_ms;
};
inline OneLease lease_one(store::Store& st, std::int64_t now_ms, std::int64_t lease_ms) {
  auto r = lease(st, now_ms, lease_ms, 1);
  if (!r) throw std::runtime_error("lease failed: " + r.error().message);
  OneLease out;
  if (!r->jobs.empty()) out.job = std::move(r->jobs.front());
  out.next_due_ms = r->next_due_ms;
  return out;
}

inline store::StoreResult<void> record(store::Store& st, std::int64_t job_id, store::Attempt attempt,
                                       store::JobOutcome outcome, std::int64_t next_at_ms) {
  return wait_store<void>(
      [&](auto cb) { st.record_async(job_id, std::move(attempt), outcome, next_at_ms, std::move(cb)); });
}

inline store::StoreResult<void> release(store::Store& st, std::vector<std::int64_t> ids) {
  return wait_store<void>([&](auto cb) { st.release_async(std::move(ids), std::move(cb)); });
}

inline store::StoreResult<std::vector<store::HistoryEntry>> history(store::Store& st, const std::string& webhook,
                                                                    const std::string& instance_id) {
  return wait_store<std::vector<store::HistoryEntry>>(
      [&](auto cb) { st.history_async(webhook, instance_id, std::move(cb)); });
}

inline store::StoreResult<std::optional<std::string>> kv_get(store::Store& st, const std::string& key) {
  return wait_store<std::optional<std::string>>([&](auto cb) { st.kv_get_async(key, std::move(cb)); });
}

inline store::StoreResult<void> kv_put(store::Store& st, const std::string& key, const std::string& value) {
  return wait_store<void>([&](auto cb) { st.kv_put_async(key, value, std::move(cb)); });
}

inline store::StoreResult<void> check_writable(store::Store& st) {
  return wait_store<void>([&](auto cb) { st.check_writable_async(std::move(cb)); });
}

// The newest event `reference` names (a data.id or "#SEQ"), in full.
inline store::StoreResult<std::optional<store::EventView>> event_named(store::Store& st, const std::string& reference) {
  auto found = st.find_events(reference);
  if (!found) return found.error();
  if (found->empty()) return std::optional<store::EventView>();
  return st.event(found->front().seq);
}

// The events in one state (pending, done, dead; "" for all), newest first.
inline store::StoreResult<std::vector<store::EventView>> events_in(store::Store& st, const std::string& state,
                                                                   std::size_t limit = 50) {
  store::EventQuery q;
  q.state = state;
  q.limit = limit;
  return st.list_events(q);
}

}  // namespace asc_webhookd::test
