#pragma once
// Durations ("250ms", "10s", "5m", "2h", "30d") and sizes ("1MiB", "512KiB",
// "4096") as written in the configuration. Both parsers return std::nullopt
// for anything else; they never throw.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace asc_webhookd {

using Duration = std::chrono::milliseconds;

std::optional<Duration> parse_duration(std::string_view text);
std::optional<std::uint64_t> parse_size(std::string_view text);

// "1500ms" -> "1.5s", for messages and logs.
std::string format_duration(Duration d);

}  // namespace asc_webhookd
