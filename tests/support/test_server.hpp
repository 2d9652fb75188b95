#pragma once
// The daemon in-process: the same app::Daemon that `serve` builds (a
// SqliteStore on a file in a temp dir, or with ASC_WEBHOOKD_TEST_ENGINE=postgres
// a fresh PostgreSQL database; the delivery Engine, Router and Server on
// 127.0.0.1 port 0), with the configuration given as YAML text.
#include "asc_webhookd/app/daemon.hpp"
#include "asc_webhookd/config/loader.hpp"
#include "asc_webhookd/core/clock.hpp"
#include "asc_webhookd/store/sqlite_store.hpp"

#include "support/temp_dir.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace asc_webhookd::test {

// A config with one webhook "app" (secret "s3cret", previous "old-secret")
// listening on 127.0.0.1:0; `server_extra` lines are added under server:,
// `rest` after the webhooks (connections:, rules:, delivery:...). Without
// rules in `rest`, "rules: []" is added.
std::string basic_config(const std::string& server_extra = "", const std::string& rest = "");

struct TestServerOptions {
  unsigned threads = 2;
  std::string vfs;             // SQLite VFS for the store (fault injection)
  const Clock* clock = nullptr;  // default: the system clock
};

class TestServer {
public:
  explicit TestServer(const std::string& yaml, TestServerOptions options = {});
  ~TestServer();

  std::uint16_t port(std::size_t index = 0) const;
  const config::Config& config() const { return *config_; }
  store::Store& store();
  std::string store_path() const { return dir_.file("state.db"); }

private:
  TempDir dir_;
  std::shared_ptr<const config::Config> config_;
  std::unique_ptr<app::Daemon> daemon_;  // the composition root serve builds too
  std::vector<std::thread> threads_;
};

}  // namespace asc_webhookd::test
