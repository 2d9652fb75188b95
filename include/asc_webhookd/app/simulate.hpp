#pragma once
// `asc-webhookd simulate` (docs/operating.md, "Command line"): for each event file, the rules
// that match and the exact requests each action would send, run through the
// same attempt stages as the daemon (delivery/attempt.hpp), against a
// recorder that makes up plausible answers, or answers every request with
// a scripted status to show the retry decision. No network, no store.
#include "asc_webhookd/config/config.hpp"

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace asc_webhookd::app {

struct SimulateOptions {
  std::string webhook;                 // default: the first webhook
  std::optional<std::string> instance;  // an ASC API answer used as enrichment data, for every event
  // A folder of ASC API answers: each event gets the one whose data.type is
  // its instance's type and, among several, one with an attribute equal to
  // the event's new state (buildUploads-FAILED.json for a FAILED upload).
  std::optional<std::string> instance_dir;
  // Every request answered with this status (and an empty body) instead of
  // a made-up success; the output then shows the retry decision reached.
  std::optional<unsigned> answer;
  std::vector<std::string> event_files;
};

// Exit code: 0, or 1 when an event file cannot be read or parsed.
int simulate(const config::Config& cfg, const SimulateOptions& options, std::ostream& out, std::ostream& err);

}  // namespace asc_webhookd::app
