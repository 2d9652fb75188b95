#pragma once
// Sends every log line to a string for the lifetime of the object, at the
// given level and format; restores stderr logging afterwards.
#include "asc_webhookd/core/log.hpp"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <sstream>

namespace asc_webhookd::test {

class LogCapture {
public:
  explicit LogCapture(spdlog::level::level_enum level = spdlog::level::trace, log::Format format = log::Format::text)
      : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_)) {
    log::init({level, format}, sink_);
  }
  ~LogCapture() {
    // Detach from the stream before it is destroyed.
    log::init({spdlog::level::info, log::Format::text}, std::make_shared<spdlog::sinks::stderr_sink_mt>());
  }
  std::string text() {
    sink_->flush();
    return stream_.str();
  }

private:
  std::ostringstream stream_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

}  // namespace asc_webhookd::test
