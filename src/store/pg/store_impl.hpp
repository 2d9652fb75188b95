#pragma once
// The PostgreSQL store's parts, shared by its operation files
// (events.cpp, jobs.cpp, views.cpp). Private to src/store/pg.
#include "asc_webhookd/store/postgres_store.hpp"

#include "../change_notice.hpp"
#include "listener.hpp"
#include "worker.hpp"

#include <mutex>

namespace asc_webhookd::store {

struct PostgresStore::Impl {
  explicit Impl(const std::string& database_url)
      : url(database_url), writer(database_url, "store-pg"), ops(database_url, "store-pg-ops") {}
  std::string url;
  SystemClock system_clock;
  const Clock* clock = &system_clock;  // PostgresOptions::clock
  pg::Worker writer;  // the request and delivery paths
  pg::Worker ops;     // the operator's commands and views
  ChangeNotice notice;  // watch_changes' callback
  std::unique_ptr<pg::Listener> listener;
};

}  // namespace asc_webhookd::store
