#include "asc_webhookd/app/open_store.hpp"

#include "asc_webhookd/store/postgres_store.hpp"
#include "asc_webhookd/store/sqlite_store.hpp"

namespace asc_webhookd::app {

Result<std::unique_ptr<store::Store>, Error> open_configured_store(const config::StoreConfig& cfg,
                                                                    const StoreOpenOptions& options) {
  if (cfg.url) {
    auto st = store::PostgresStore::open({cfg.url->reveal(), options.clock});
    if (!st) return st.error();
    return std::unique_ptr<store::Store>(std::move(*st));
  }
  auto st = store::SqliteStore::open({cfg.path, options.vfs, options.read_only, options.clock});
  if (!st) return st.error();
  return std::unique_ptr<store::Store>(std::move(*st));
}

}  // namespace asc_webhookd::app
