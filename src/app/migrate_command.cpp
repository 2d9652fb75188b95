// `asc-webhookd migrate --from state.db --config FILE`: an SQLite store
// copied into the PostgreSQL database of the config's store.url
// (store/migrate.hpp). Prints each table's counts.
#include "cli_commands.hpp"

#include "asc_webhookd/app/cli.hpp"
#include "asc_webhookd/store/migrate.hpp"
#include "asc_webhookd/store/postgres_store.hpp"

#include <filesystem>

namespace asc_webhookd::app::detail {

int cmd_migrate(const Args& a, std::ostream& out, std::ostream& err) {
  const auto from = a.options.find("--from");
  const auto config = a.options.find("--config");
  if (from == a.options.end() || config == a.options.end() || a.positional.size() != 1) {
    err << "usage: asc-webhookd migrate --from state.db --config FILE\n";
    return usage;
  }
  std::error_code ec;
  if (!std::filesystem::exists(from->second, ec)) {
    err << "asc-webhookd: no store at " << from->second << "\n";
    return invalid;
  }
  auto loaded = config::load_store_config_file(config->second);
  for (const auto& d : loaded.diagnostics)
    if (d.severity == config::Diagnostic::Severity::error) err << d.text() << "\n";
  if (!loaded.store) return invalid;
  if (!loaded.store->url) {
    err << "asc-webhookd: " << config->second
        << " has no store.url: migrate copies into the PostgreSQL database that store.url names\n";
    return invalid;
  }
  const std::string url = loaded.store->url->reveal();
  out << "copying " << from->second << " into the PostgreSQL " << store::PostgresStore::describe(url) << "\n";
  auto copied = store::copy_sqlite_to_postgres(
      from->second, url, [&](const std::string& table, const store::MigrateCounts::Table& t) {
        out << table << ": " << t.copied << " copied, " << t.present << " already there\n" << std::flush;
      });
  if (!copied) {
    err << "asc-webhookd: " << copied.error().message << "\n";
    return runtime;
  }
  out << "done: point every replica's store.url at it\n";
  return ok;
}

}  // namespace asc_webhookd::app::detail
