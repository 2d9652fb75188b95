// Opening the store: the file, its schema (migrated under a transaction),
// the writer's threads; the change watch.
#include "writer.hpp"
#include "key_hash.hpp"
#include "schema.hpp"
#include "asc_webhookd/core/thread_name.hpp"

#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <iterator>

namespace asc_webhookd::store {

static_assert(kSchemaVersion == static_cast<int>(std::size(schema::kMigrations)), "a migration was added: bump kSchemaVersion");

namespace {

// Why SQLite could not open or write the store, in the operator's terms:
// SQLite says only "unable to open database file" or "readonly database".
std::string unwritable_reason(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path file(path);
  const fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
  for (const auto& p : {file, dir}) {
    if (p == file && !fs::exists(p, ec)) continue;
    if (::access(p.c_str(), W_OK) == 0) continue;
    if (errno == EROFS) return dir.string() + " is on a read-only file system";
    if (errno == EACCES) return "this user cannot write " + p.string();
    if (errno == ENOENT) return "the directory " + dir.string() + " does not exist";
  }
  return "";
}

std::string open_failure(const std::string& path, const std::string& sqlite_error) {
  const std::string why = unwritable_reason(path);
  return "cannot open the store " + path + ": " + (why.empty() ? sqlite_error : why + " (" + sqlite_error + ")");
}

}  // namespace

Result<std::unique_ptr<SqliteStore>, Error> SqliteStore::open(const SqliteOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->path = options.path;
  impl->vfs = options.vfs;
  if (options.clock) impl->clock = options.clock;
  if (auto e = impl->db.open(options.path, options.vfs); !e.empty()) return Error{open_failure(options.path, e)};
  // WAL + synchronous=NORMAL: a COMMIT returns once its frames are written;
  // the Syncer fsyncs them before anyone is told (see Syncer). A 16 MiB page
  // cache (SQLite's default is 2 MiB): the dedupe index's keys are random,
  // and with the default most inserts read their page back from the kernel.
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON",
                             "PRAGMA journal_size_limit=67108864", "PRAGMA cache_size=-16384",
                             "PRAGMA busy_timeout=5000"}) {
    if (auto e = impl->db.exec(pragma); !e.empty()) return Error{open_failure(options.path, e)};
  }
  std::int64_t version = 0;
  {
    auto s = impl->db.stmt("PRAGMA user_version");
    if (s.step() == SQLITE_ROW) version = s.i64(0);
  }
  if (version > kSchemaVersion)
    return Error{"the store " + options.path + " has schema version " + std::to_string(version) +
                 ", newer than this asc-webhookd understands (" + std::to_string(kSchemaVersion) + ")"};
  if (version < kSchemaVersion) {
    if (register_key_hash(impl->db.handle()) != SQLITE_OK)
      return Error{"cannot open the store " + options.path + ": " + impl->db.error()};
    std::string e = impl->db.exec("BEGIN IMMEDIATE");
    for (auto v = version; e.empty() && v < kSchemaVersion; ++v) e = impl->db.exec(schema::kMigrations[v]);
    if (e.empty()) e = impl->db.exec(("PRAGMA user_version=" + std::to_string(kSchemaVersion)).c_str());
    if (e.empty()) e = impl->db.exec("COMMIT");
    if (!e.empty()) {
      impl->db.exec("ROLLBACK");
      return Error{"cannot create the schema in " + options.path + ": " + e};
    }
  }
  // Copy whatever WAL an earlier run left into the database file and empty
  // it: on a volume the WAL itself filled (a crash while the disk was full),
  // this is the space the first commit needs. Failing is harmless here. Not
  // for a reading operator command: it would hold the write lock while it
  // waits for the daemon's readers, and stall the daemon's commits.
  if (!options.read_only)
    sqlite3_wal_checkpoint_v2(impl->db.handle(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  if (auto e = impl->syncer.open(impl->db.handle()); !e.empty())
    return Error{"cannot open the store " + options.path + ": " + e};
  // Background checkpoints: a second connection to the same file.
  if (!options.read_only && impl->checkpointer.db.open(options.path, options.vfs).empty()) {
    impl->checkpointer.db.exec("PRAGMA busy_timeout=1000");
    impl->checkpointer.db.exec("PRAGMA journal_mode=WAL");  // reads the header: the connection now knows the WAL
    impl->checkpointer.dir = std::filesystem::path(options.path).has_parent_path()
                                 ? std::filesystem::path(options.path).parent_path().string()
                                 : std::string(".");
    sqlite3_wal_hook(impl->db.handle(), on_wal_commit, &impl->checkpointer);  // replaces the automatic checkpoint
    auto* cp = &impl->checkpointer;
    cp->thread = std::thread([cp] {
      name_this_thread("store-checkpt");
      cp->loop();
    });
  }
  auto* raw = impl.get();
  impl->thread = std::thread([raw] {
    name_this_thread("store-writer");
    raw->loop();
  });
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(impl)));
}

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SqliteStore::~SqliteStore() {
  impl_->watch.reset();  // joins its thread: no more calls
  impl_->checkpointer.stop();
  impl_->stop();  // runs every queued task first
  impl_->syncer.stop();  // runs the completions of the last commits
}

bool SqliteStore::watch_changes(std::function<void()> changed) {
  impl_->notice.set(std::move(changed));
  if (!impl_->watch && impl_->notice.armed()) {
    auto* impl = impl_.get();
    impl_->watch = std::make_unique<FileWatch>(impl_->path, [impl] { impl->notice(); });
  }
  return impl_->watch && impl_->watch->ok();
}

std::uint64_t SqliteStore::commits() const { return impl_->commits; }
std::uint64_t SqliteStore::tasks() const { return impl_->tasks; }
}  // namespace asc_webhookd::store
