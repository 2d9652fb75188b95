#pragma once
// `asc-webhookd migrate`: an SQLite store copied into the PostgreSQL
// database replicas share, row for row (events keep their seq, jobs their
// id, so `#SEQ` and job numbers still name the same things). Idempotent
// and resumable: every row is inserted only when absent, in batches that
// each commit, so a second run after a kill copies the rest and nothing
// twice. Jobs the SQLite daemon left running are copied as pending (that
// daemon is gone). Key-value entries already in PostgreSQL win (a replica
// may have written a newer chat thread or watermark).
#include "asc_webhookd/core/result.hpp"

#include <cstddef>
#include <functional>
#include <string>

namespace asc_webhookd::store {

struct MigrateCounts {
  struct Table {
    std::size_t copied = 0;
    std::size_t present = 0;  // already in PostgreSQL: copied by an earlier run
  };
  Table events, jobs, attempts, kv;
};

// `progress` is told each table's counts as its copy ends.
Result<MigrateCounts, Error> copy_sqlite_to_postgres(const std::string& sqlite_path, const std::string& postgres_url,
                                                     const std::function<void(const std::string& table,
                                                                              const MigrateCounts::Table&)>& progress);

}  // namespace asc_webhookd::store
