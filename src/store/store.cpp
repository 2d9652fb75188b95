#include "asc_webhookd/store/store.hpp"

#include <future>

namespace asc_webhookd::store {

IngestResult Store::ingest(NewEvent event) {
  std::promise<IngestResult> p;
  auto f = p.get_future();
  ingest_async(std::move(event), [&p](IngestResult r) { p.set_value(std::move(r)); });
  return f.get();
}

LeaseResult Store::lease(std::int64_t now_ms, std::int64_t lease_ms) {
  std::promise<LeaseResult> p;
  auto f = p.get_future();
  lease_async(now_ms, lease_ms, 1, [&p](LeaseBatch b) {
    LeaseResult r;
    if (!b.jobs.empty()) r.job = std::move(b.jobs.front());
    r.next_due_ms = b.next_due_ms;
    p.set_value(std::move(r));
  });
  return f.get();
}

bool Store::record(std::int64_t job_id, Attempt attempt, JobOutcome outcome, std::int64_t next_at_ms) {
  std::promise<bool> p;
  auto f = p.get_future();
  record_async(job_id, std::move(attempt), outcome, next_at_ms, [&p](bool ok) { p.set_value(ok); });
  return f.get();
}

std::vector<HistoryEntry> Store::history(const std::string& webhook, const std::string& instance_id) {
  std::promise<std::vector<HistoryEntry>> p;
  auto f = p.get_future();
  history_async(webhook, instance_id, [&p](std::vector<HistoryEntry> h) { p.set_value(std::move(h)); });
  return f.get();
}

std::optional<std::string> Store::kv_get(const std::string& key) {
  std::promise<std::optional<std::string>> p;
  auto f = p.get_future();
  kv_get_async(key, [&p](std::optional<std::string> v) { p.set_value(std::move(v)); });
  return f.get();
}

bool Store::kv_put(const std::string& key, const std::string& value) {
  std::promise<bool> p;
  auto f = p.get_future();
  kv_put_async(key, value, [&p](bool ok) { p.set_value(ok); });
  return f.get();
}

std::string Store::check_writable() {
  std::promise<std::string> p;
  auto f = p.get_future();
  check_writable_async([&p](std::string r) { p.set_value(std::move(r)); });
  return f.get();
}

}  // namespace asc_webhookd::store
