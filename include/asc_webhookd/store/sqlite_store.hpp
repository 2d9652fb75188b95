#pragma once
// The embedded store: one SQLite file in WAL mode with synchronous=NORMAL and
// a syncer thread that fsyncs the WAL before any caller is told a commit
// happened. All writes run on one store thread; whatever is queued while a
// transaction commits goes into the next one (group commit), so many
// concurrent requests share one fsync. Reads for people (event lists and
// details, stats, counts) run on a second, read-only connection in a
// snapshot: they never take the write lock, so they never hold up ingest.
//
// open() returns an error (never throws) when the file cannot be opened or
// migrated; the methods report failures through their results.
#include "asc_webhookd/core/clock.hpp"
#include "asc_webhookd/core/result.hpp"
#include "asc_webhookd/store/store.hpp"

#include <memory>

namespace asc_webhookd::store {

struct SqliteOptions {
  std::string path;
  std::string vfs;  // empty: SQLite's default; tests pass a fault-injecting VFS
  // For the operator commands that only read: no checkpoint at open (a
  // TRUNCATE checkpoint would wait for the daemon's readers while holding
  // the write lock). The schema must be current.
  bool read_only = false;
  // What the store stamps its own rows with (kv.updated_at), the clock that
  // prune's cutoff comes from; null: the system clock.
  const Clock* clock = nullptr;
};

class SqliteStore final : public Store {
public:
  static Result<std::unique_ptr<SqliteStore>, Error> open(const SqliteOptions& options);
  ~SqliteStore() override;

  void ingest_async(NewEvent event, Completion<Ingested> done) override;
  void lease_async(std::int64_t now_ms, std::int64_t lease_ms, std::size_t max_jobs, Completion<Leased> done) override;
  void release_async(std::vector<std::int64_t> job_ids, Completion<void> done) override;
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

  // How many transactions and tasks have been committed (group-commit ratio).
  std::uint64_t commits() const;
  std::uint64_t tasks() const;

  struct Impl;

private:
  explicit SqliteStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

constexpr int kSchemaVersion = 8;  // the number of migrations in schema.hpp (checked there)

}  // namespace asc_webhookd::store
