// Opening the PostgreSQL store: the schema (migrated under an advisory lock
// in one transaction), the two workers; the listener for other replicas.
#include "schema.hpp"
#include "store_impl.hpp"

#include <iterator>

namespace asc_webhookd::store {

static_assert(kPostgresSchemaVersion == static_cast<int>(std::size(pg::schema::kMigrations)),
              "a migration was added: bump kPostgresSchemaVersion");

namespace {

// Brings the database to kPostgresSchemaVersion; the error, or "".
std::string migrate(pg::Conn& db, const std::string& target) {
  try {
    db.exec("BEGIN");
    db.run("SELECT pg_advisory_xact_lock($1)", {pg::schema::kMigrationLock});
    db.exec("CREATE TABLE IF NOT EXISTS asc_webhookd_schema (version INTEGER NOT NULL)");
    auto v = db.run("SELECT max(version) FROM asc_webhookd_schema");
    const auto version = v.opt_i64(0, 0).value_or(0);
    if (version > kPostgresSchemaVersion) {
      db.exec("ROLLBACK");
      return "the " + target + " has schema version " + std::to_string(version) +
             ", newer than this asc-webhookd understands (" + std::to_string(kPostgresSchemaVersion) +
             "): upgrade this replica";
    }
    for (auto i = version; i < kPostgresSchemaVersion; ++i) db.exec(pg::schema::kMigrations[i]);
    if (version < kPostgresSchemaVersion) {
      db.exec("DELETE FROM asc_webhookd_schema");
      db.run("INSERT INTO asc_webhookd_schema (version) VALUES ($1)", {kPostgresSchemaVersion});
    }
    db.exec("COMMIT");
    return "";
  } catch (const pg::Failure& f) {
    return "cannot create the schema in the " + target + ": " + f.what();
  }
}

}  // namespace

Result<std::unique_ptr<PostgresStore>, Error> PostgresStore::open(const PostgresOptions& options) {
  const std::string target = pg::describe_target(options.url);
  {
    pg::Conn db;
    if (auto e = db.open(options.url, "asc-webhookd migrate"); !e.empty()) return Error{"cannot open the store: " + e};
    db.set_answer_limit({});  // waits while another replica migrates
    if (auto e = migrate(db, target); !e.empty()) return Error{e};
  }
  auto impl = std::make_unique<Impl>(options.url);
  if (options.clock) impl->clock = options.clock;
  if (auto e = impl->writer.start(); !e.empty()) return Error{"cannot open the store: " + e};
  if (auto e = impl->ops.start(); !e.empty()) return Error{"cannot open the store: " + e};
  return std::unique_ptr<PostgresStore>(new PostgresStore(std::move(impl)));
}

std::string PostgresStore::describe(const std::string& url) { return pg::describe_target(url); }

PostgresStore::PostgresStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

PostgresStore::~PostgresStore() {
  impl_->listener.reset();  // joins its thread: no more calls
  impl_->writer.stop();  // runs every queued task first
  impl_->ops.stop();
}

bool PostgresStore::watch_changes(std::function<void()> changed) {
  impl_->notice.set(std::move(changed));
  if (!impl_->listener && impl_->notice.armed()) {
    auto* impl = impl_.get();
    impl_->listener = std::make_unique<pg::Listener>(
        impl_->url,
        [impl](int pid) { return pid == impl->writer.backend_pid() || pid == impl->ops.backend_pid(); },
        [impl] { impl->notice(); });
  }
  return true;
}

}  // namespace asc_webhookd::store
