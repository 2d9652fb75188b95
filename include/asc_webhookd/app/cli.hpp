#pragma once
// argv → command → exit code (docs/operating.md, "Command line"): 0 ok, 1 invalid input or
// config, 2 usage, 3 runtime failure. Catches everything: no exception
// leaves run_cli.
#include <iosfwd>
#include <span>
#include <string>

namespace asc_webhookd::app {

enum Exit : int { ok = 0, invalid = 1, usage = 2, runtime = 3 };

int run_cli(std::span<char*> args, std::ostream& out, std::ostream& err);

}  // namespace asc_webhookd::app
