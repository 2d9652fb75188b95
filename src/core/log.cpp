#include "asc_webhookd/core/log.hpp"

#include <spdlog/details/log_msg.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/systemd_sink.h>

#include <sys/stat.h>

#include <cstdlib>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <mutex>

namespace asc_webhookd::log {
namespace {

// One JSON object per line: {"ts","level","logger","msg"}. nlohmann::json does
// the escaping; invalid UTF-8 in a message is replaced, never thrown.
class JsonFormatter final : public spdlog::formatter {
public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto tp = std::chrono::time_point_cast<std::chrono::milliseconds>(msg.time);
    auto secs = std::chrono::time_point_cast<std::chrono::seconds>(tp);
    auto ms = (tp - secs).count();
    std::time_t t = std::chrono::system_clock::to_time_t(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char ts[64];
    std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
    nlohmann::json j;
    j["ts"] = ts;
    auto lvl = spdlog::level::to_string_view(msg.level);
    j["level"] = std::string(lvl.data(), lvl.size());
    j["logger"] = std::string(msg.logger_name.data(), msg.logger_name.size());
    j["msg"] = std::string(msg.payload.data(), msg.payload.size());
    auto s = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(s.data(), s.data() + s.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

// The text lines: one event per line, whatever a field holds. A control
// character in the message (a newline in an event id, a client's bytes in
// an error) is written escaped (\n, \r, \t, \xNN), so nobody can forge a
// line of the log.
// The line and paragraph separators (U+2028, U+2029), which some viewers
// break lines at, and the direction marks and overrides (U+200E, U+200F,
// U+202A to U+202E, U+2066 to U+2069), which make a viewer show a line's
// text in another order than it was written: the code point when `s` starts
// with one of them (three bytes in UTF-8), else 0.
unsigned invisible_format_char(std::string_view s) {
  if (s.size() < 3 || static_cast<unsigned char>(s[0]) != 0xe2) return 0;
  const auto b1 = static_cast<unsigned char>(s[1]), b2 = static_cast<unsigned char>(s[2]);
  const unsigned cp = 0x2000u + ((b1 & 0x3fu) << 6) + (b2 & 0x3fu);
  if ((b1 & 0xc0) != 0x80 || (b2 & 0xc0) != 0x80) return 0;
  const bool bad = cp == 0x200e || cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
  return bad ? cp : 0;
}

class TextFormatter final : public spdlog::formatter {
public:
  TextFormatter() : inner_("%Y-%m-%dT%H:%M:%S.%eZ %l %n: %v", spdlog::pattern_time_type::utc) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    bool clean = true;
    for (unsigned char c : payload) clean = clean && c >= 0x20 && c != 0x7f && c != 0xe2;
    if (clean) {
      inner_.format(msg, dest);
      return;
    }
    std::string escaped;
    for (std::size_t i = 0; i < payload.size(); ++i) {
      const auto c = static_cast<unsigned char>(payload[i]);
      if (const unsigned cp = invisible_format_char(payload.substr(i))) {
        char u[16];
        std::snprintf(u, sizeof u, "\\u%04x", cp);
        escaped += u;
        i += 2;
      } else if (c >= 0x20 && c != 0x7f) escaped += static_cast<char>(c);
      else if (c == '\n') escaped += "\\n";
      else if (c == '\r') escaped += "\\r";
      else if (c == '\t') escaped += "\\t";
      else {
        char hex[5];
        std::snprintf(hex, sizeof hex, "\\x%02x", c);
        escaped += hex;
      }
    }
    spdlog::details::log_msg copy(msg);
    copy.payload = escaped;
    inner_.format(copy, dest);
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<TextFormatter>(); }

private:
  spdlog::pattern_formatter inner_;
};

struct State {
  std::mutex mutex;
  Options options;
  spdlog::sink_ptr sink;
  std::map<std::string, std::shared_ptr<spdlog::logger>, std::less<>> loggers;
};

State& state() {
  static State s;
  return s;
}

std::unique_ptr<spdlog::formatter> make_formatter(Format f) {
  if (f == Format::json) return std::make_unique<JsonFormatter>();
  return std::make_unique<TextFormatter>();
}

void configure(spdlog::logger& l, const State& s) {
  l.sinks().clear();
  l.sinks().push_back(s.sink);
  l.set_level(s.options.level);
  l.flush_on(spdlog::level::trace);
}

}  // namespace

void init(const Options& options, spdlog::sink_ptr sink) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  s.options = options;
  // A new sink is only given at start-up and in tests; a reload keeps the
  // sink (loggers may be writing to it from other threads) and changes its
  // formatter and the levels, which spdlog allows concurrently.
  const bool new_sink = sink || !s.sink;
  if (new_sink) {
    if (sink) s.sink = std::move(sink);
    else if (options.journal) s.sink = std::make_shared<spdlog::sinks::systemd_sink_mt>("asc-webhookd", true);
    else s.sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  }
  s.sink->set_formatter(make_formatter(options.format));
  s.sink->set_level(spdlog::level::trace);
  for (auto& [name, l] : s.loggers) {
    if (new_sink) configure(*l, s);
    else l->set_level(options.level);
  }
}

std::shared_ptr<spdlog::logger> get(std::string_view subsystem) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  if (auto it = s.loggers.find(subsystem); it != s.loggers.end()) return it->second;
  if (!s.sink) {
    s.sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    s.sink->set_formatter(make_formatter(s.options.format));
  }
  auto l = std::make_shared<spdlog::logger>(std::string(subsystem));
  configure(*l, s);
  s.loggers.emplace(std::string(subsystem), l);
  return l;
}

bool stderr_is_journal() {
  const char* js = std::getenv("JOURNAL_STREAM");  // "DEV:INODE" of the journal stream
  if (!js) return false;
  struct stat st {};
  if (fstat(2, &st) != 0) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(js, "%llu:%llu", &dev, &ino) != 2) return false;
  return dev == static_cast<unsigned long long>(st.st_dev) && ino == static_cast<unsigned long long>(st.st_ino);
}

std::optional<spdlog::level::level_enum> parse_level(std::string_view name) {
  if (name == "trace") return spdlog::level::trace;
  if (name == "debug") return spdlog::level::debug;
  if (name == "info") return spdlog::level::info;
  if (name == "warn") return spdlog::level::warn;
  if (name == "error") return spdlog::level::err;
  return std::nullopt;
}

}  // namespace asc_webhookd::log
