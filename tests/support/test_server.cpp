#include "support/test_server.hpp"

#include "asc_webhookd/http/router.hpp"
#include "asc_webhookd/http/server.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <future>
#include <stdexcept>

namespace asc_webhookd::test {

std::string basic_config(const std::string& server_extra) {
  return "server:\n  listen: 127.0.0.1:0\n" + server_extra +
         "webhooks:\n"
         "  - name: app\n"
         "    secret: s3cret\n"
         "    previous_secrets: [old-secret]\n"
         "rules: []\n";
}

TestServer::TestServer(const std::string& yaml, unsigned threads) {
  auto loaded = config::load_config_string(yaml, "test.yaml");
  if (!loaded.ok()) throw std::runtime_error("test config invalid:\n" + loaded.errors_text());
  config_ = loaded.config;
  ioc_ = std::make_unique<boost::asio::io_context>();
  auto cfg = config_;
  auto source = [cfg] { return cfg; };
  server_ = std::make_unique<http::Server>(*ioc_, source, std::make_shared<http::Router>(source));
  server_->start();
  for (unsigned i = 0; i < threads; ++i)
    threads_.emplace_back([io = ioc_.get()] {
      auto guard = boost::asio::make_work_guard(*io);
      io->run();
    });
}

TestServer::~TestServer() {
  std::promise<void> drained;
  auto f = drained.get_future();
  server_->stop([&] { drained.set_value(); });
  f.wait_for(std::chrono::seconds(10));
  ioc_->stop();
  for (auto& t : threads_) t.join();
}

std::uint16_t TestServer::port(std::size_t index) const { return server_->local_ports().at(index); }

}  // namespace asc_webhookd::test
