#pragma once
// The shared store: PostgreSQL, for several replicas behind one proxy. The
// same guarantees as the SQLite engine, held across replicas by the
// database: an answer only after the commit (synchronous_commit on);
// dedupe by the unique (webhook, event_id); jobs leased with FOR UPDATE
// SKIP LOCKED and a lease time, so the jobs of a replica that died go to
// the others when their lease ends; order per instance because a job is
// leased only when no earlier job of its order key is unfinished; a
// replica's commits that queue or free jobs NOTIFY the others
// (watch_changes). The schema is versioned and migrated at open under an
// advisory lock.
//
// Two connections per store: one for the request and delivery paths (group
// commit), one for the operator's commands and views, so a slow view never
// holds up ingest; and a third, listening, once watch_changes is called.
#include "asc_webhookd/core/clock.hpp"
#include "asc_webhookd/core/result.hpp"
#include "asc_webhookd/store/store.hpp"

#include <memory>

namespace asc_webhookd::store {

struct PostgresOptions {
  std::string url;  // a libpq URI or key=value string; the password by PGPASSFILE, a service file or the URL
  // What the store stamps its own rows with (kv.updated_at), the clock that
  // prune's cutoff comes from; null: the system clock.
  const Clock* clock = nullptr;
};

class PostgresStore final : public Store {
public:
  static Result<std::unique_ptr<PostgresStore>, Error> open(const PostgresOptions& options);
  // "database asc_webhookd on db.internal:5432": the URL's target, without
  // its password, for messages.
  static std::string describe(const std::string& url);
  ~PostgresStore() override;

  void ingest_async(NewEvent event, Completion<Ingested> done) override;
  void lease_async(std::int64_t now_ms, std::int64_t lease_ms, std::size_t max_jobs, Completion<Leased> done) override;
  void release_async(std::vector<std::int64_t> job_ids, Completion<void> done) override;
  void take_back_unheld_async(std::vector<std::int64_t> held, Completion<std::size_t> done) override;
  void record_async(std::int64_t job_id, Attempt attempt, JobOutcome outcome, std::int64_t next_at_ms,
                    Completion<void> done) override;
  void history_async(std::string webhook, std::string instance_id,
                     Completion<std::vector<HistoryEntry>> done) override;
  void kv_get_async(std::string key, Completion<std::optional<std::string>> done) override;
  void kv_put_async(std::string key, std::string value, Completion<void> done) override;
  void check_writable_async(Completion<void> done) override;
  void try_lead_async(std::string task, Completion<bool> done) override;
  void release_lead_async(std::string task, Completion<void> done) override;

  StoreResult<std::size_t> recover_running() override;
  StoreResult<std::size_t> prune(std::int64_t before_ms) override;
  StoreResult<std::size_t> retry_event(std::int64_t seq, std::int64_t now_ms) override;
  StoreResult<RetryOutcome> retry_job_now(std::int64_t job_id, std::int64_t now_ms) override;
  StoreResult<std::vector<std::int64_t>> add_jobs(std::int64_t event_seq, const std::vector<NewJob>& jobs,
                                                  std::int64_t now_ms) override;
  StoreResult<std::vector<EventView>> list_events(const EventQuery& query) override;
  StoreResult<std::vector<EventView>> find_events(const std::string& reference) override;
  StoreResult<std::optional<EventView>> event(std::int64_t seq) override;
  StoreResult<StoreStats> stats(const std::string& kv_prefix) override;
  StoreResult<std::size_t> count_jobs(const std::string& state) override;
  bool watch_changes(std::function<void()> changed) override;

  struct Impl;

private:
  explicit PostgresStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

constexpr int kPostgresSchemaVersion = 1;  // the number of migrations in pg/schema.hpp

}  // namespace asc_webhookd::store
