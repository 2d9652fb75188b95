#pragma once
// Per-subsystem spdlog loggers ("http", "ingest", "config", "app", ...) that
// share one set of sinks. Messages are written as `what key=value ...` so an
// operator can grep them; the json format wraps the same text in one JSON
// object per line. Logging never throws (spdlog's error handler swallows).
#include <spdlog/logger.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace asc_webhookd::log {

enum class Format { text, json };

struct Options {
  spdlog::level::level_enum level = spdlog::level::info;
  Format format = Format::text;
  bool journal = false;  // write to journald (with a priority per level) instead of stderr
};

// True when stderr is connected to the journal (systemd sets JOURNAL_STREAM).
bool stderr_is_journal();

// Configures every logger, existing and future. `sink` replaces the current
// sink (stderr by default; tests pass an ostream sink to read what was
// logged); null keeps the current one and only changes format and level.
void init(const Options& options, spdlog::sink_ptr sink = nullptr);

// The logger of one subsystem; created on first use with the current sinks.
std::shared_ptr<spdlog::logger> get(std::string_view subsystem);

std::optional<spdlog::level::level_enum> parse_level(std::string_view name);

}  // namespace asc_webhookd::log
