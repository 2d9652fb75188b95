#pragma once
// The daemon: loads the config, opens the listeners, serves until SIGTERM or
// SIGINT, reloads on SIGHUP. Returns an exit code (cli.hpp).
#include <string>

namespace asc_webhookd::app {

int serve(const std::string& config_path);

}  // namespace asc_webhookd::app
