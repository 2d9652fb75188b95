#pragma once
// Internal: the schema, one entry per version. A database at version N runs
// migrations N+1.. in one transaction at open.
namespace asc_webhookd::store::schema {

inline const char* const kMigrations[] = {
    // 1: events, jobs, attempts, history, kv.
    R"sql(
CREATE TABLE events (
  seq          INTEGER PRIMARY KEY,
  webhook      TEXT NOT NULL,
  event_id     TEXT NOT NULL,
  type         TEXT NOT NULL,
  old_state    TEXT,
  new_state    TEXT,
  instance_type TEXT,
  instance_id  TEXT,
  event_time   INTEGER,
  received_at  INTEGER NOT NULL,
  raw          TEXT NOT NULL,
  UNIQUE (webhook, event_id)
) STRICT;
CREATE INDEX events_received ON events(received_at);
CREATE TABLE jobs (
  id           INTEGER PRIMARY KEY,
  event_seq    INTEGER NOT NULL REFERENCES events(seq) ON DELETE CASCADE,
  rule         TEXT NOT NULL,
  action_index INTEGER NOT NULL,
  kind         TEXT NOT NULL,
  action       TEXT NOT NULL,
  order_key    TEXT NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'dead')),
  attempts     INTEGER NOT NULL DEFAULT 0,
  next_at      INTEGER NOT NULL,
  lease_until  INTEGER,
  created_at   INTEGER NOT NULL,
  last_error   TEXT
) STRICT;
CREATE INDEX jobs_due ON jobs(state, next_at);
CREATE INDEX jobs_lease ON jobs(state, lease_until);
CREATE INDEX jobs_order ON jobs(order_key, state, id);
CREATE INDEX jobs_event ON jobs(event_seq);
CREATE TABLE attempts (
  id          INTEGER PRIMARY KEY,
  job_id      INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  started_at  INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  http_status INTEGER,
  error       TEXT,
  outcome     TEXT NOT NULL
) STRICT;
CREATE INDEX attempts_job ON attempts(job_id);
CREATE TABLE history (
  id          INTEGER PRIMARY KEY,
  webhook     TEXT NOT NULL,
  instance_id TEXT NOT NULL,
  state       TEXT NOT NULL,
  event_time  INTEGER,
  received_at INTEGER NOT NULL,
  event_seq   INTEGER NOT NULL REFERENCES events(seq) ON DELETE CASCADE
) STRICT;
CREATE INDEX history_instance ON history(webhook, instance_id);
CREATE TABLE kv (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
)sql",
    // 2: what an attempt did (issues transitioned or skipped, a message's id).
    R"sql(
ALTER TABLE attempts ADD COLUMN detail TEXT;
CREATE INDEX kv_updated ON kv(updated_at);
)sql",
    // 3: fewer indexes to update per event. Running jobs are few: the due
    // index's state prefix finds them; pruning walks events by seq.
    R"sql(
DROP INDEX jobs_lease;
DROP INDEX events_received;
)sql",
    // 4: the head of each order key is marked ready, and only ready jobs are
    // indexed for leasing: a backlog queued behind a job in backoff (a
    // downstream outage) is never walked to find what is due; expired leases
    // are found without reading every running (leased-ahead) job.
    R"sql(
ALTER TABLE jobs ADD COLUMN ready INTEGER NOT NULL DEFAULT 0;
UPDATE jobs SET ready = 1 WHERE state = 'pending' AND NOT EXISTS (SELECT 1 FROM jobs k
  WHERE k.order_key = jobs.order_key AND k.state IN ('pending', 'running') AND k.id < jobs.id);
CREATE INDEX jobs_ready ON jobs(next_at, id) WHERE state = 'pending' AND ready = 1;
CREATE INDEX jobs_running ON jobs(lease_until) WHERE state = 'running';
)sql",
    // 5: what an attempt sent and what came back (credentials masked, 64 KiB
    // at most), for `event show` and the console.
    R"sql(
ALTER TABLE attempts ADD COLUMN sent TEXT;
)sql",
    // 6: where an event came from: a POST ('webhook') or Apple's delivery
    // log ('reconcile').
    R"sql(
ALTER TABLE events ADD COLUMN source TEXT NOT NULL DEFAULT 'webhook';
)sql",
    // 7: less written per job. The per-instance order index (its key, the
    // instance, is random) holds only the jobs still to run, and is defined
    // by `finished`, a column set only when a job ends or is requeued: a
    // lease (pending → running) used to rewrite the job's entry in it, since
    // SQLite rewrites a partial index whenever its WHERE's column is set.
    // Counts by state come from the order index, a dead-jobs index and the
    // table's size, so the (state, next_at) index, rewritten at every state
    // change, is gone. History gets the index its ON DELETE CASCADE needs:
    // without it, pruning an event read the whole history table.
    R"sql(
ALTER TABLE jobs ADD COLUMN finished INTEGER NOT NULL DEFAULT 0;
UPDATE jobs SET finished = 1 WHERE state IN ('done', 'dead');
DROP INDEX jobs_order;
CREATE INDEX jobs_order ON jobs(order_key, id) WHERE finished = 0;
DROP INDEX jobs_due;
CREATE INDEX jobs_dead ON jobs(event_seq) WHERE state = 'dead';
CREATE INDEX history_event ON history(event_seq);
)sql",
    // 8: the random-keyed indexes written per event hold 8-byte hashes
    // (key_hash.hpp) instead of ~60-byte text, and history is read from the
    // events themselves: an event with an instance and a new state is a
    // history entry, found by the hash of its webhook and instance. One row
    // and two index entries fewer per event. key_hash() is registered on
    // the connection before migrating.
    R"sql(
ALTER TABLE jobs ADD COLUMN order_hash INTEGER NOT NULL DEFAULT 0;
UPDATE jobs SET order_hash = key_hash(order_key);
DROP INDEX jobs_order;
CREATE INDEX jobs_order ON jobs(order_hash, id) WHERE finished = 0;
ALTER TABLE events ADD COLUMN instance_hash INTEGER;
UPDATE events SET instance_hash = key_hash(webhook || '|' || instance_id)
  WHERE instance_id IS NOT NULL AND new_state IS NOT NULL;
CREATE INDEX events_instance ON events(instance_hash) WHERE instance_hash IS NOT NULL;
DROP TABLE history;
)sql",
};

}  // namespace asc_webhookd::store::schema
