#pragma once
// The tests' PostgreSQL: one private server per test run
// (scripts/test_postgres.sh), and a new, empty database per test on it.
// Under ctest the server is a fixture started once before every test and
// stopped after (its socket directory in ASC_WEBHOOKD_TEST_PG_DIR); a test
// program run by hand starts its own server on first use and stops it at
// exit. A missing server fails the test that needs it: never a skip.
#include <string>

namespace asc_webhookd::test {

// The URL of a database that no other test uses.
std::string fresh_postgres_database();

// The URL of the tests' server's `postgres` database (for SQL the test
// itself runs: stopping connections, looking at rows).
std::string postgres_admin_url();

}  // namespace asc_webhookd::test
