#pragma once
// The real http::Server and Router, in-process, on 127.0.0.1 port 0, with a
// configuration given as YAML text.
#include "asc_webhookd/config/loader.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace asc_webhookd::http {
class Server;
}

namespace asc_webhookd::test {

// A config with one webhook "app" (secret "s3cret", previous "old-secret")
// listening on 127.0.0.1:0; `server_extra` lines are added under server:.
std::string basic_config(const std::string& server_extra = "");

class TestServer {
public:
  explicit TestServer(const std::string& yaml, unsigned threads = 2);
  ~TestServer();

  std::uint16_t port(std::size_t index = 0) const;
  const config::Config& config() const { return *config_; }

private:
  std::shared_ptr<const config::Config> config_;
  std::unique_ptr<boost::asio::io_context> ioc_;
  std::unique_ptr<http::Server> server_;
  std::vector<std::thread> threads_;
};

}  // namespace asc_webhookd::test
