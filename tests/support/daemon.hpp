#pragma once
// Runs the real asc-webhookd binary (or another program) as a child process,
// its output captured in files, and finds the port it listens on from its
// "listening" log line.
#include "support/temp_dir.hpp"

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace asc_webhookd::test {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs the binary to completion (stdin from /dev/null unless `input` is set).
CommandResult run_binary(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {},
                         const std::optional<std::string>& input = std::nullopt);

// Any program (an absolute path, or a name looked up nowhere: give the path).
CommandResult run_program(const std::string& program, const std::vector<std::string>& args,
                          const std::map<std::string, std::string>& env = {},
                          const std::optional<std::string>& input = std::nullopt);

class Daemon {
public:
  struct Program {
    std::string path;
  };
  Daemon(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {});
  // Another long-running program (nginx, caddy) with the same log and exit handling.
  Daemon(const Program& program, const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {});
  ~Daemon();  // SIGKILL if still running

  // Waits for the first "listening address=HOST:PORT" line; 0 on timeout or exit.
  std::uint16_t wait_listening(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  void signal(int sig);
  // Waits until the log contains `text`.
  bool wait_log(const std::string& text, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Exit code, or nullopt if still running after `timeout`. -SIG for a signal death.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  std::string log() const { return read_file(err_path_); }
  pid_t pid() const { return pid_; }

private:
  TempDir dir_;
  std::string out_path_, err_path_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

}  // namespace asc_webhookd::test
