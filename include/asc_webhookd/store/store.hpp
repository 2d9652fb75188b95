#pragma once
// The durable store behind one narrow interface: ingest an event with its
// planned jobs; lease due jobs; record attempts; per-instance history; a
// key-value table; and the operator's queries. SqliteStore (sqlite_store.hpp)
// is the embedded engine; every engine passes the same driver tests
// (tests/store/driver_test.cpp).
//
// One shape: every operation answers StoreResult<T>, a value or a
// StoreError (errors.hpp) that says why not; "nothing there" is a value
// (an empty list, a nullopt), never an error. Two ways to call, by who
// calls: the request and delivery paths call the *_async forms, which
// complete on a store thread (await them from a coroutine with
// await_store, async.hpp); the operator's commands and the console's
// views call the blocking forms, which a person waits for. Every call may
// be made from any thread.
#include "asc_webhookd/event/event.hpp"
#include "asc_webhookd/store/errors.hpp"
#include "asc_webhookd/store/new_job.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace asc_webhookd::store {

struct NewEvent {
  std::string webhook;
  event::Event event;
  std::vector<NewJob> jobs;
  std::int64_t received_at_ms = 0;
  std::string source = "webhook";  // or "reconcile": found in Apple's delivery log
};

// What an ingest kept: the event and its jobs, or nothing (a duplicate:
// the same webhook and event id stored before, its jobs planned then).
struct Ingested {
  bool duplicate = false;
  std::int64_t event_seq = 0;  // 0 for a duplicate
  std::size_t jobs = 0;
};

struct LeasedJob {
  std::int64_t id = 0;
  std::int64_t event_seq = 0;
  std::string webhook;
  std::string rule;
  int action_index = 0;
  std::string kind;
  std::string action_json;
  int attempts = 0;  // attempts made before this one
  std::int64_t created_at_ms = 0;
  std::string raw_event;
  // When the lease runs out (by the leaser's clock): after it, another
  // replica sharing the store may lease the job again.
  std::int64_t lease_until_ms = 0;
};

struct Attempt {
  std::int64_t started_at_ms = 0;
  std::int64_t duration_ms = 0;
  std::optional<int> http_status;
  std::string error;  // redacted
  std::string outcome;  // done | retry | dead
  std::string detail;   // what the action did ("MOB-1 → Done; …"), empty if nothing to say
  std::string sent;     // each request and its answer's status and first bytes (masked; delivery/exchange_log.hpp)
};

enum class JobOutcome { done, retry, dead };

struct Leased {
  std::vector<LeasedJob> jobs;              // empty: nothing is due
  std::optional<std::int64_t> next_due_ms;  // when nothing is due: the earliest time something will be
};

struct HistoryEntry {
  std::string state;
  std::optional<std::int64_t> event_time_ns;
  std::int64_t received_at_ms = 0;
};

// Operator views.
struct JobView {
  std::int64_t id = 0;
  std::string rule;
  int action_index = 0;
  std::string kind;
  std::string state;
  int attempts = 0;
  std::int64_t next_at_ms = 0;
  std::string last_error;
  std::string action_json;
  std::vector<Attempt> attempt_log;
};

struct JobCounts {
  std::int64_t pending = 0;  // pending or running
  std::int64_t done = 0;
  std::int64_t dead = 0;
};

struct EventView {
  std::int64_t seq = 0;
  std::string webhook;
  std::string event_id;
  std::string type;
  std::string old_state;
  std::string new_state;
  std::int64_t received_at_ms = 0;
  std::string state;  // pending | done | dead
  std::string raw;
  std::string source;  // webhook | reconcile
  std::string instance_type;
  std::string instance_id;
  JobCounts job_counts;  // in lists
  std::vector<JobView> jobs;
};

// The console's event list: every filter optional ("" / 0), newest first.
struct EventQuery {
  std::string state;    // pending | done | dead
  std::string webhook;
  std::string type;     // data.type
  std::string q;        // found in the event id or the instance id
  std::int64_t before_seq = 0;  // the cursor: only events older than this one
  std::size_t limit = 50;
};

enum class RetryOutcome { requeued, not_found, done, running };

struct StoreStats {
  std::int64_t events = 0;
  std::map<std::string, std::int64_t> events_by_state;    // pending, done, dead
  std::map<std::string, std::int64_t> events_by_webhook;
  std::map<std::string, std::int64_t> jobs_by_state;      // pending, running, done, dead
  std::map<std::string, std::map<std::string, std::int64_t>> jobs_by_kind;  // kind → state → n
  std::optional<std::int64_t> last_event_ms;
  std::map<std::string, std::string> kv_by_prefix;  // the key-value entries asked for (reconcile watermarks)
};

// How an *_async call answers.
template <class T>
using Completion = std::function<void(StoreResult<T>)>;

class Store {
public:
  virtual ~Store() = default;

  // --- The request and delivery paths (complete on a store thread) ---

  // The event and its jobs, durable (fsync'd) before `done` is called.
  virtual void ingest_async(NewEvent event, Completion<Ingested> done) = 0;
  // Leases up to `max_jobs` due jobs at once (never two of one order key).
  virtual void lease_async(std::int64_t now_ms, std::int64_t lease_ms, std::size_t max_jobs,
                           Completion<Leased> done) = 0;
  // Gives leased jobs back untouched (pending again, no attempt counted).
  virtual void release_async(std::vector<std::int64_t> job_ids, Completion<void> done) = 0;
  // After the store's connection was lost: a lease this process committed
  // whose answer never came holds jobs nobody runs. The jobs this process
  // leased on an earlier connection and does not hold (`held`: leased,
  // running or being recorded) go back to pending; the count. A store in
  // this process alone (SQLite) loses no answers: nothing to do.
  virtual void take_back_unheld_async(std::vector<std::int64_t> held, Completion<std::size_t> done) {
    (void)held;
    done(std::size_t{0});
  }
  // Records an attempt and the job's new state, durably.
  virtual void record_async(std::int64_t job_id, Attempt attempt, JobOutcome outcome, std::int64_t next_at_ms,
                            Completion<void> done) = 0;
  // The states one instance went through, oldest first.
  virtual void history_async(std::string webhook, std::string instance_id,
                             Completion<std::vector<HistoryEntry>> done) = 0;
  virtual void kv_get_async(std::string key, Completion<std::optional<std::string>> done) = 0;
  virtual void kv_put_async(std::string key, std::string value, Completion<void> done) = 0;
  // A cheap write probe for /readyz: an error says why the store cannot
  // take events now (a full disk, a read-only file).
  virtual void check_writable_async(Completion<void> done) = 0;
  // Periodic work that one replica at a time must do (a reconcile pass):
  // true when this process may do `task` now, and then holds it until
  // release_lead_async, or until it dies. An engine used by one process
  // answers true.
  virtual void try_lead_async(std::string task, Completion<bool> done) = 0;
  virtual void release_lead_async(std::string task, Completion<void> done) = 0;

  // --- The operator's commands and views (blocking) ---

  // Jobs left running by a crash become pending again. Returns how many.
  virtual StoreResult<std::size_t> recover_running() = 0;
  // Deletes done events (all jobs done, or none) received before `before_ms`,
  // and per-job progress notes (kv "progress:*") last written before it.
  virtual StoreResult<std::size_t> prune(std::int64_t before_ms) = 0;
  // Requeues every dead job of one event (by its seq), due now. Returns how
  // many; 0 when nothing matched.
  virtual StoreResult<std::size_t> retry_event(std::int64_t seq, std::int64_t now_ms) = 0;
  // One job due now: a dead one requeued (attempts reset), one waiting in
  // backoff made due; `done` and `running` are left alone and said.
  virtual StoreResult<RetryOutcome> retry_job_now(std::int64_t job_id, std::int64_t now_ms) = 0;
  // Adds jobs to a stored event (`event replay`: planned again with the rules
  // in force now), pending from `now_ms`, each after every job of its order
  // key already queued. Its old jobs are not touched. Returns the new ids.
  virtual StoreResult<std::vector<std::int64_t>> add_jobs(std::int64_t event_seq, const std::vector<NewJob>& jobs,
                                                          std::int64_t now_ms) = 0;
  virtual StoreResult<std::vector<EventView>> list_events(const EventQuery& query) = 0;
  // The events an operator's reference names, newest first, as list rows
  // (no payload, no jobs): every event whose data.id it is (one per webhook
  // at most); only when none has that data.id, "#SEQ" names the event with
  // that seq. Several matches are the caller's to refuse: an operator
  // command acts on one event, named by its seq when its id is shared.
  virtual StoreResult<std::vector<EventView>> find_events(const std::string& reference) = 0;
  // One event in full (payload, jobs, attempts), by seq; nullopt: none.
  virtual StoreResult<std::optional<EventView>> event(std::int64_t seq) = 0;
  // Counts for the console, and the kv entries whose keys start with `kv_prefix`.
  virtual StoreResult<StoreStats> stats(const std::string& kv_prefix) = 0;
  // Jobs in one state (pending, running, done, dead), for /metrics and /readyz.
  virtual StoreResult<std::size_t> count_jobs(const std::string& state) = 0;
  // Calls `changed` (on a store thread, soon after a commit, bursts folded)
  // whenever the store changes, whichever process wrote it: jobs may have
  // become due (an operator command's requeue). Null stops the calls.
  // False when the store cannot tell; the caller must then look by itself.
  virtual bool watch_changes(std::function<void()> changed) = 0;

  // Why `reference` cannot be acted on when it names several events, listing
  // them by seq ("" when it names one or none).
  static std::string several_named(const std::string& reference, const std::vector<EventView>& found);
};

}  // namespace asc_webhookd::store
