#include "support/postgres.hpp"

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace asc_webhookd::test {

namespace {

const std::string kScript = std::string(ASC_WEBHOOKD_SOURCE_DIR) + "/scripts/test_postgres.sh";

// Runs the script; its stdout, or throws with why.
std::string run_script(const std::string& args) {
  std::unique_ptr<FILE, decltype(&pclose)> p(popen((kScript + " " + args).c_str(), "r"), &pclose);
  if (!p) throw std::runtime_error("cannot run " + kScript);
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p.get())) out += buf;
  if (pclose(p.release()) != 0) throw std::runtime_error(kScript + " " + args + " failed (see its stderr)");
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

struct OwnServer {
  std::string dir;
  ~OwnServer() {
    if (!dir.empty()) std::system((kScript + " stop " + dir + " >/dev/null 2>&1").c_str());
  }
};

// The directory of the server's socket: the ctest fixture's, or our own.
const std::string& server_dir() {
  static std::once_flag once;
  static std::string dir;
  static OwnServer own;
  std::call_once(once, [] {
    if (const char* d = std::getenv("ASC_WEBHOOKD_TEST_PG_DIR"); d && *d) {
      dir = d;
      return;
    }
    dir = "/tmp/asc-webhookd-pg." + std::to_string(::getpid());
    run_script("start " + dir);
    own.dir = dir;
  });
  return dir;
}

using Connection = std::unique_ptr<PGconn, decltype(&PQfinish)>;

Connection connect(const std::string& url) {
  Connection c(PQconnectdb(url.c_str()), &PQfinish);
  if (PQstatus(c.get()) != CONNECTION_OK)
    throw std::runtime_error(std::string("the tests' PostgreSQL cannot be reached: ") + PQerrorMessage(c.get()));
  return c;
}

void exec_admin(const std::string& sql) {
  auto c = connect(postgres_admin_url());
  std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(c.get(), sql.c_str()), &PQclear);
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK)
    throw std::runtime_error(sql + ": " + PQresultErrorMessage(r.get()));
}

}  // namespace

PrivatePostgres::PrivatePostgres() {
  static std::atomic<int> n{0};
  dir_ = "/tmp/asc-webhookd-pg." + std::to_string(::getpid()) + "." + std::to_string(++n);
  run_script("start " + dir_);
}

PrivatePostgres::~PrivatePostgres() { std::system((kScript + " stop " + dir_ + " >/dev/null 2>&1").c_str()); }

void PrivatePostgres::halt() { run_script("halt " + dir_); }
void PrivatePostgres::resume() { run_script("resume " + dir_); }

std::int64_t postgres_number(const std::string& url, const std::string& sql) {
  auto c = connect(url);
  std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(c.get(), sql.c_str()), &PQclear);
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK || PQntuples(r.get()) < 1)
    throw std::runtime_error(sql + ": " + PQresultErrorMessage(r.get()));
  return std::stoll(PQgetvalue(r.get(), 0, 0));
}

std::string postgres_admin_url() { return "postgresql://postgres@/postgres?host=" + server_dir(); }

std::string postgres_socket_path() { return server_dir() + "/.s.PGSQL.5432"; }

std::string postgres_url_via(const std::string& url, std::uint16_t port) {
  const auto at = url.find("@/"), query = url.find('?');
  return url.substr(0, at) + "@127.0.0.1:" + std::to_string(port) + url.substr(at + 1, query - at - 1);
}

std::string fresh_postgres_database() {
  static std::atomic<int> n{0};
  const std::string name = "t_" + std::to_string(::getpid()) + "_" + std::to_string(++n);
  exec_admin("CREATE DATABASE " + name);
  return "postgresql://postgres@/" + name + "?host=" + server_dir();
}

}  // namespace asc_webhookd::test
