#include "asc_webhookd/store/store.hpp"

#include <future>

namespace asc_webhookd::store {

namespace {

// Calls `start(callback)` and waits for the callback's value.
template <class T, class Start>
T wait_for(Start start) {
  std::promise<T> p;
  auto f = p.get_future();
  start([&p](T value) { p.set_value(std::move(value)); });
  return f.get();
}

}  // namespace

IngestResult Store::ingest(NewEvent event) {
  return wait_for<IngestResult>([&](auto cb) { ingest_async(std::move(event), std::move(cb)); });
}

LeaseResult Store::lease(std::int64_t now_ms, std::int64_t lease_ms) {
  auto batch = wait_for<LeaseBatch>([&](auto cb) { lease_async(now_ms, lease_ms, 1, std::move(cb)); });
  LeaseResult r;
  if (!batch.jobs.empty()) r.job = std::move(batch.jobs.front());
  r.next_due_ms = batch.next_due_ms;
  return r;
}

bool Store::record(std::int64_t job_id, Attempt attempt, JobOutcome outcome, std::int64_t next_at_ms) {
  return !wait_for<std::optional<StoreError>>(
      [&](auto cb) { record_async(job_id, std::move(attempt), outcome, next_at_ms, std::move(cb)); });
}

std::vector<HistoryEntry> Store::history(const std::string& webhook, const std::string& instance_id) {
  return wait_for<std::vector<HistoryEntry>>([&](auto cb) { history_async(webhook, instance_id, std::move(cb)); });
}

std::optional<std::string> Store::kv_get(const std::string& key) {
  return wait_for<std::optional<std::string>>([&](auto cb) { kv_get_async(key, std::move(cb)); });
}

bool Store::kv_put(const std::string& key, const std::string& value) {
  return wait_for<bool>([&](auto cb) { kv_put_async(key, value, std::move(cb)); });
}

StoreResult<std::vector<EventView>> Store::events(const std::string& state, std::size_t limit) {
  EventQuery q;
  q.state = state;
  q.limit = limit;
  return list_events(q);
}

StoreResult<std::optional<EventView>> Store::event(const std::string& reference) {
  auto found = find_events(reference);
  if (!found) return found.error();
  if (found->empty()) return std::optional<EventView>();
  return event(found->front().seq);
}

std::string Store::several_named(const std::string& reference, const std::vector<EventView>& found) {
  if (found.size() < 2) return "";
  std::string out = "event id " + reference + " names " + std::to_string(found.size()) + " events:";
  for (std::size_t i = 0; i < found.size(); ++i)
    out += std::string(i ? "," : "") + " #" + std::to_string(found[i].seq) + " (webhook " + found[i].webhook + ", " +
           found[i].type + ")";
  return out + "; name one by its #SEQ";
}

std::string Store::check_writable() {
  return wait_for<std::string>([&](auto cb) { check_writable_async(std::move(cb)); });
}

}  // namespace asc_webhookd::store
