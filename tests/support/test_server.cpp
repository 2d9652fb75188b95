#include "support/test_server.hpp"

#include "asc_webhookd/core/metrics.hpp"
#include "asc_webhookd/delivery/engine.hpp"
#include "asc_webhookd/http/router.hpp"
#include "asc_webhookd/http/server.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

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
  if (text.find("\nstore:") == std::string::npos && text.rfind("store:", 0) != 0)
    text += "store:\n  path: " + store_path() + "\n";
  auto loaded = config::load_config_string(text, "test.yaml");
  if (!loaded.ok()) throw std::runtime_error("test config invalid:\n" + loaded.errors_text());
  config_ = loaded.config;
  auto st = store::SqliteStore::open({config_->store.path, options.vfs});
  if (!st) throw std::runtime_error(st.error().message);
  store_ = std::move(*st);
  const Clock& clock = options.clock ? *options.clock : system_clock_;
  ioc_ = std::make_unique<boost::asio::io_context>();
  auto cfg = config_;
  auto source = [cfg] { return cfg; };
  engine_ = std::make_unique<delivery::Engine>(*ioc_, source, *store_, clock);
  auto* engine = engine_.get();
  http::Router::Dependencies deps{source, store_.get(), &clock, [engine] { engine->notify(); }};
  server_ = std::make_unique<http::Server>(*ioc_, source, std::make_shared<http::Router>(deps));
  metrics::describe_standard(metrics::Registry::global());
  server_->start();
  engine_->start();
  for (unsigned i = 0; i < options.threads; ++i)
    threads_.emplace_back([io = ioc_.get()] {
      auto guard = boost::asio::make_work_guard(*io);
      io->run();
    });
}

TestServer::~TestServer() {
  std::promise<void> drained;
  auto f = drained.get_future();
  server_->stop([&] { engine_->stop([&] { drained.set_value(); }); });
  f.wait_for(std::chrono::seconds(20));
  ioc_->stop();
  for (auto& t : threads_) t.join();
}

std::uint16_t TestServer::port(std::size_t index) const { return server_->local_ports().at(index); }

}  // namespace asc_webhookd::test
