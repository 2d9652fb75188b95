#include "asc_webhookd/core/clock.hpp"

#include <ctime>

namespace asc_webhookd {

std::string format_utc(std::int64_t ms, const char* strftime_format) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::size_t n = std::strftime(buf, sizeof buf, strftime_format, &tm);
  return std::string(buf, n);
}

}  // namespace asc_webhookd
