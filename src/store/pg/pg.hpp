#pragma once
// A thin RAII layer over libpq for the PostgreSQL store: a connection whose
// statements are prepared once by their text, parameters passed as text,
// results read by row and column. Every failure throws pg::Failure with
// PostgreSQL's SQLSTATE and whether the connection itself is gone.
// Private to src/store/pg.
#include "libpq.hpp"

#include <chrono>
#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace asc_webhookd::store::pg {

struct Failure : std::runtime_error {
  Failure(const std::string& what, std::string state, bool lost)
      : std::runtime_error(what), sqlstate(std::move(state)), connection_lost(lost) {}
  std::string sqlstate;  // "23505", ...; empty when the server never answered
  bool connection_lost = false;
};

// One parameter, as the text PostgreSQL parses (nullopt: NULL). Text is made
// storable on the way: PostgreSQL refuses a NUL byte and invalid UTF-8 in
// `text`, which an answer's first bytes (attempt logs) may hold.
struct Value {
  std::optional<std::string> text;
  Value(std::nullopt_t) {}
  Value(bool b) : text(b ? "true" : "false") {}
  template <std::integral I>
  Value(I i) : text(std::to_string(i)) {}
  Value(const std::string& s);
  Value(const char* s) : Value(std::string(s)) {}
  Value(const std::optional<std::string>& s) {
    if (s) *this = Value(*s);
  }
  Value(const std::optional<std::int64_t>& i) {
    if (i) text = std::to_string(*i);
  }
};

// "{1,2,3}": a bigint[] parameter.
std::string array_of(const std::vector<std::int64_t>& ids);

struct ClearResult {
  void operator()(PGresult* r) const { lib().PQclear(r); }
};
struct FinishConn {
  void operator()(PGconn* c) const { lib().PQfinish(c); }
};

class Rows {
public:
  explicit Rows(PGresult* r) : r_(r) {}
  int size() const { return lib().PQntuples(r_.get()); }
  bool is_null(int row, int col) const { return lib().PQgetisnull(r_.get(), row, col) != 0; }
  std::int64_t i64(int row, int col) const;
  std::optional<std::int64_t> opt_i64(int row, int col) const {
    return is_null(row, col) ? std::nullopt : std::optional<std::int64_t>(i64(row, col));
  }
  std::string text(int row, int col) const { return lib().PQgetvalue(r_.get(), row, col); }
  bool boolean(int row, int col) const { return text(row, col) == "t"; }
  std::size_t affected() const;  // rows an INSERT / UPDATE / DELETE changed

private:
  std::unique_ptr<PGresult, ClearResult> r_;
};

class Conn {
public:
  // Connects to `url` (a libpq URI or key=value string). The error names
  // the database and libpq's reason; it never holds the password.
  std::string open(const std::string& url, const std::string& application_name);
  bool ok() const { return c_ && lib().PQstatus(c_.get()) == CONNECTION_OK; }
  void close() {
    c_.reset();
    prepared_.clear();
  }
  // Runs one statement, prepared on first use on this connection.
  Rows run(const std::string& sql, const std::vector<Value>& params = {});
  // Runs SQL text as is (several statements allowed, no parameters).
  void exec(const std::string& sql);
  PGconn* handle() const { return c_.get(); }
  int backend_pid() const { return c_ ? lib().PQbackendPID(c_.get()) : 0; }
  // How long one statement may go unanswered before the database counts as
  // unreachable: the connection is dropped and the caller gets a lost
  // connection. TCP never gives up on a peer whose kernel still answers (a
  // paused server, a stalled proxy), and over a Unix socket nothing does.
  // Zero: wait as long as it takes (migrations, which may wait on a lock).
  void set_answer_limit(std::chrono::milliseconds limit) { answer_limit_ = limit; }
  static constexpr std::chrono::milliseconds kAnswerLimit{10'000};

private:
  [[noreturn]] void fail(PGresult* r, const std::string& context);
  // The result of the statement just sent, within the answer limit.
  PGresult* answer(const std::string& context);
  std::chrono::milliseconds answer_limit_ = kAnswerLimit;
  std::string target_;  // describe_target(url), for messages
  std::unique_ptr<PGconn, FinishConn> c_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL text → statement name
};

// "database asc_webhookd on db.internal:5432": how messages name a
// connection target, from libpq's own parse of the URL (no password).
std::string describe_target(const std::string& url);

}  // namespace asc_webhookd::store::pg
