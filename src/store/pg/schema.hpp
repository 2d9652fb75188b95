#pragma once
// The PostgreSQL schema, one entry per version; a database at version N
// runs migrations N+1.. in one transaction at open, under an advisory lock
// (two replicas starting together migrate once). The tables mirror the
// SQLite store's at its version 8, so `migrate` copies rows as they are:
// times are milliseconds since the epoch (event_time nanoseconds), the
// order and instance hashes are the same 64-bit FNV-1a (key_hash.hpp).
namespace asc_webhookd::store::pg::schema {

// Held while migrating; any number, the same in every release.
inline constexpr long long kMigrationLock = 0x61736377'6d696772;  // "ascwmigr"

inline const char* const kMigrations[] = {
    // 1: events, jobs, attempts, kv; history is read from the events.
    // leased_by: the backend that leased a running job, so a restarting
    // replica gives back only the jobs of replicas that are gone.
    R"sql(
CREATE TABLE events (
  seq           BIGSERIAL PRIMARY KEY,
  webhook       TEXT NOT NULL,
  event_id      TEXT NOT NULL,
  type          TEXT NOT NULL,
  old_state     TEXT,
  new_state     TEXT,
  instance_type TEXT,
  instance_id   TEXT,
  event_time    BIGINT,
  received_at   BIGINT NOT NULL,
  raw           TEXT NOT NULL,
  source        TEXT NOT NULL DEFAULT 'webhook',
  instance_hash BIGINT,
  UNIQUE (webhook, event_id)
);
CREATE INDEX events_instance ON events (instance_hash) WHERE instance_hash IS NOT NULL;
CREATE INDEX events_event_id ON events (event_id);
CREATE TABLE jobs (
  id           BIGSERIAL PRIMARY KEY,
  event_seq    BIGINT NOT NULL REFERENCES events (seq) ON DELETE CASCADE,
  rule         TEXT NOT NULL,
  action_index INTEGER NOT NULL,
  kind         TEXT NOT NULL,
  action       TEXT NOT NULL,
  order_key    TEXT NOT NULL,
  order_hash   BIGINT NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'dead')),
  finished     BOOLEAN NOT NULL DEFAULT false,
  attempts     INTEGER NOT NULL DEFAULT 0,
  next_at      BIGINT NOT NULL,
  lease_until  BIGINT,
  leased_by    INTEGER,
  created_at   BIGINT NOT NULL,
  last_error   TEXT
);
CREATE INDEX jobs_order ON jobs (order_hash, id) WHERE NOT finished;
CREATE INDEX jobs_due ON jobs (next_at, id) WHERE state = 'pending';
CREATE INDEX jobs_running ON jobs (lease_until) WHERE state = 'running';
CREATE INDEX jobs_event ON jobs (event_seq);
CREATE INDEX jobs_dead ON jobs (event_seq) WHERE state = 'dead';
CREATE TABLE attempts (
  id          BIGSERIAL PRIMARY KEY,
  job_id      BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  started_at  BIGINT NOT NULL,
  duration_ms BIGINT NOT NULL,
  http_status INTEGER,
  error       TEXT,
  outcome     TEXT NOT NULL,
  detail      TEXT,
  sent        TEXT
);
CREATE INDEX attempts_job ON attempts (job_id);
CREATE TABLE kv (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX kv_updated ON kv (updated_at);
)sql",
};

}  // namespace asc_webhookd::store::pg::schema
