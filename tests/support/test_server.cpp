#include "support/test_server.hpp"

#include "asc_webhookd/http/server.hpp"

#include "support/postgres.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdlib>
#include <future>
#include <stdexcept>

namespace asc_webhookd::test {

std::string basic_config(const std::string& server_extra, const std::string& rest) {
  std::string out = "server:\n  listen: 127.0.0.1:0\n" + server_extra +
                    "webhooks:\n"
                    "  - name: app\n"
                    "    secret: s3cret\n"
                    "    previous_secrets: [old-secret]\n" +
                    rest;
  if (rest.find("rules:") == std::string::npos) out += "rules: []\n";
  return out;
}

TestServer::TestServer(const std::string& yaml, TestServerOptions options) {
  std::string text = yaml;
  // ASC_WEBHOOKD_TEST_ENGINE=postgres: the same test on a PostgreSQL store
  // (a fresh database on the tests' server), as ctest's postgres/ copies of
  // the end-to-end suites run it.
  const char* engine = std::getenv("ASC_WEBHOOKD_TEST_ENGINE");
  const bool on_postgres = engine && std::string(engine) == "postgres" && options.vfs.empty();
  if (text.find("\nstore:") == std::string::npos && text.rfind("store:", 0) != 0)
    text += on_postgres ? "store:\n  url: \"" + fresh_postgres_database() + "\"\n" : "store:\n  path: " + store_path() + "\n";
  auto loaded = config::load_config_string(text, "test.yaml");
  if (!loaded.ok()) throw std::runtime_error("test config invalid:\n" + loaded.errors_text());
  config_ = loaded.config;
  auto created = app::Daemon::create(config_, {options.vfs, options.clock});
  if (!created) throw std::runtime_error(created.error().message);
  daemon_ = std::move(*created);
  daemon_->start();
  for (unsigned i = 0; i < options.threads; ++i)
    threads_.emplace_back([io = &daemon_->io()] {
      auto guard = boost::asio::make_work_guard(*io);
      io->run();
    });
}

TestServer::~TestServer() {
  std::promise<void> drained;
  auto f = drained.get_future();
  daemon_->stop([&] { drained.set_value(); });
  f.wait_for(std::chrono::seconds(20));
  daemon_->io().stop();
  for (auto& t : threads_) t.join();
}

store::Store& TestServer::store() { return daemon_->store(); }

std::uint16_t TestServer::port(std::size_t index) const { return daemon_->server().local_ports().at(index); }

}  // namespace asc_webhookd::test
