#pragma once
// Internal to the command line (cli.cpp, store_commands.cpp): parsed
// arguments, loading the config for a command, and the operator commands
// that read and change the store.
#include "asc_webhookd/config/loader.hpp"

#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace asc_webhookd::store {
class Store;
}

namespace asc_webhookd::app::detail {

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;
};

// Loads and prints diagnostics (warnings only for check-config: the other
// commands are not the place to lint the file); null on errors.
std::shared_ptr<const config::Config> load(const std::string& path, std::ostream& err,
                                           config::Secrets secrets = config::Secrets::resolve, bool warnings = false);

// "1 webhook", "2 webhooks".
std::string count_of(std::size_t n, const char* one, const char* many);
bool all_digits(const std::string& s);

// The operator commands (store_commands.cpp): `events`, `event
// show|retry|replay ID`, `job retry N`.
int cmd_events(const Args& a, std::ostream& out, std::ostream& err);
int cmd_event(const Args& a, std::ostream& out, std::ostream& err);
int cmd_job_retry(const Args& a, std::ostream& out, std::ostream& err);

// The configured store, which must exist: an SQLite file is never created
// (an empty new file would answer every question with "nothing"); a
// PostgreSQL database is the one the replicas share. Null with `code`
// otherwise. How an operator command uses the store: `read` only lists and
// shows (SQLite: no checkpoint at open, nothing that takes the write lock).
enum class Access { read, write };
std::unique_ptr<store::Store> open_existing_store(const config::StoreConfig& cfg, std::ostream& err, int& code,
                                                  Access access = Access::write);

// `migrate --from state.db --config FILE` (migrate_command.cpp).
int cmd_migrate(const Args& a, std::ostream& out, std::ostream& err);

// `apple webhooks|setup|ping|deliveries|reconcile` (apple_commands.cpp).
int cmd_apple(const Args& a, std::ostream& out, std::ostream& err);

// `review show|reply|unreply ID`, `review poll` (review_commands.cpp).
int cmd_review(const Args& a, std::ostream& out, std::ostream& err);

}  // namespace asc_webhookd::app::detail
