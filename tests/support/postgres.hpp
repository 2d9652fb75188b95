#pragma once
// The tests' PostgreSQL: one private server per test run
// (scripts/test_postgres.sh), and a new, empty database per test on it.
// Under ctest the server is a fixture started once before every test and
// stopped after (its socket directory in ASC_WEBHOOKD_TEST_PG_DIR); a test
// program run by hand starts its own server on first use and stops it at
// exit. A missing server fails the test that needs it: never a skip.
#include <cstdint>
#include <string>

namespace asc_webhookd::test {

// The URL of a database that no other test uses.
std::string fresh_postgres_database();

// The tests' server's Unix socket, and the URL of database `url` reached
// over TCP on 127.0.0.1:`port` instead (a SeverableLink to that socket).
std::string postgres_socket_path();
std::string postgres_url_via(const std::string& url, std::uint16_t port);

// The URL of the tests' server's `postgres` database (for SQL the test
// itself runs: stopping connections, looking at rows).
std::string postgres_admin_url();

// The first column of the first row of `sql` on the database at `url`, as
// a number (a count); throws when the query fails.
std::int64_t postgres_number(const std::string& url, const std::string& sql);

// A server of one test's own, for a test that takes it away and brings it
// back (the shared one serves every other test meanwhile).
class PrivatePostgres {
public:
  PrivatePostgres();   // started; throws when it cannot be
  ~PrivatePostgres();  // stopped, its files removed
  PrivatePostgres(const PrivatePostgres&) = delete;
  PrivatePostgres& operator=(const PrivatePostgres&) = delete;

  std::string url() const { return "postgresql://postgres@/postgres?host=" + dir_; }
  void halt();    // gone at once (pg_ctl stop -m immediate), its data kept
  void resume();  // back, with its data

private:
  std::string dir_;
};

}  // namespace asc_webhookd::test
