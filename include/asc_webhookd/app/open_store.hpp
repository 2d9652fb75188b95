#pragma once
// Opens the store the configuration names: the SQLite file of store.path,
// or the PostgreSQL database of store.url. The one place that chooses an
// engine; everything after it sees store::Store.
#include "asc_webhookd/config/config.hpp"
#include "asc_webhookd/core/clock.hpp"
#include "asc_webhookd/core/result.hpp"
#include "asc_webhookd/store/store.hpp"

#include <memory>
#include <string>

namespace asc_webhookd::app {

struct StoreOpenOptions {
  std::string vfs;         // SQLite only: a fault-injecting VFS in tests
  bool read_only = false;  // SQLite only: an operator command that only reads
  const Clock* clock = nullptr;
};

Result<std::unique_ptr<store::Store>, Error> open_configured_store(const config::StoreConfig& cfg,
                                                                    const StoreOpenOptions& options = {});

}  // namespace asc_webhookd::app
