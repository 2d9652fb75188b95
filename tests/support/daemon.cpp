#include "support/daemon.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <regex>
#include <thread>

namespace asc_webhookd::test {
namespace {

// posix_spawn, not fork + setenv: the test process runs fake servers on
// other threads, and a forked child that allocates (setenv, vector growth)
// can deadlock on a malloc lock some other thread held at the fork — the
// child then hangs before exec, silently. Everything the child needs is
// built here, in the parent.
pid_t spawn(const std::string& program, const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
            const std::string& in_path, const std::string& out_path, const std::string& err_path) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    if (!env.contains(entry.substr(0, entry.find('=')))) env_strings.push_back(entry);
  }
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  std::string bin = program;
  std::vector<std::string> copy = args;
  std::vector<char*> argv{bin.data()};
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, in_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, bin.c_str(), &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return -1000;
}

}  // namespace

CommandResult run_binary(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                         const std::optional<std::string>& input) {
  return run_program(ASC_WEBHOOKD_BINARY, args, env, input);
}

CommandResult run_program(const std::string& program, const std::vector<std::string>& args,
                          const std::map<std::string, std::string>& env, const std::optional<std::string>& input) {
  TempDir dir;
  std::string in_path = input ? dir.write("stdin", *input) : "/dev/null";
  auto out_path = dir.file("out"), err_path = dir.file("err");
  pid_t pid = spawn(program, args, env, in_path, out_path, err_path);
  if (pid < 0) return {127, "", "cannot run " + program + "\n"};
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {decode_status(status), read_file(out_path), read_file(err_path)};
}

Daemon::Daemon(const std::vector<std::string>& args, const std::map<std::string, std::string>& env)
    : Daemon(Program{ASC_WEBHOOKD_BINARY}, args, env) {}

Daemon::Daemon(const Program& program, const std::vector<std::string>& args, const std::map<std::string, std::string>& env)
    : out_path_(dir_.file("out")), err_path_(dir_.file("err")) {
  pid_ = spawn(program.path, args, env, "/dev/null", out_path_, err_path_);
  if (pid_ < 0) exit_code_ = 127;
}

Daemon::~Daemon() {
  if (!exit_code_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

std::uint16_t Daemon::wait_listening(std::chrono::milliseconds timeout) {
  static const std::regex re(R"(listening address=\S*:(\d+))");
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch m;
    auto text = log();
    if (std::regex_search(text, m, re)) return static_cast<std::uint16_t>(std::stoi(m[1]));
    if (wait_exit(std::chrono::milliseconds(0))) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return 0;
}

bool Daemon::wait_log(const std::string& text, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (log().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

void Daemon::signal(int sig) {
  if (pid_ > 0 && !exit_code_) ::kill(pid_, sig);
}

std::optional<int> Daemon::wait_exit(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = decode_status(status);
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace asc_webhookd::test
