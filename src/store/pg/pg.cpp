#include "pg.hpp"

#include <poll.h>

#include <cerrno>
#include <charconv>

namespace asc_webhookd::store::pg {

namespace {

// The length of the valid UTF-8 sequence at s[i], or 0.
std::size_t utf8_sequence(const std::string& s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
  if (n == 0 || i + n > s.size() || (n == 2 && c < 0xc2)) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return 0;
  const auto c1 = static_cast<unsigned char>(s[i + 1 < s.size() ? i + 1 : i]);
  if (n == 3 && ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 >= 0xa0))) return 0;  // overlong, surrogates
  if (n == 4 && ((c == 0xf0 && c1 < 0x90) || c > 0xf4 || (c == 0xf4 && c1 >= 0x90))) return 0;
  return n;
}

}  // namespace

Value::Value(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto n = utf8_sequence(s, i);
    if (n == 0 || s[i] == '\0') break;
    i += n;
  }
  if (i == s.size()) {
    text = s;
    return;
  }
  std::string out = s.substr(0, i);  // the rare case: rebuild, each bad byte as U+FFFD
  while (i < s.size()) {
    const auto n = utf8_sequence(s, i);
    if (n == 0 || s[i] == '\0') {
      out += "\xef\xbf\xbd";
      ++i;
    } else {
      out.append(s, i, n);
      i += n;
    }
  }
  text = std::move(out);
}

std::string array_of(const std::vector<std::int64_t>& ids) {
  std::string out = "{";
  for (std::size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
  return out + "}";
}

std::int64_t Rows::i64(int row, int col) const {
  const char* v = lib().PQgetvalue(r_.get(), row, col);
  std::int64_t out = 0;
  std::from_chars(v, v + lib().PQgetlength(r_.get(), row, col), out);
  return out;
}

std::size_t Rows::affected() const {
  const char* n = lib().PQcmdTuples(r_.get());
  return *n ? static_cast<std::size_t>(std::stoull(n)) : 0;
}

std::string describe_target(const std::string& url) {
  if (!load_libpq()) return "a PostgreSQL database";
  char* err = nullptr;
  PQconninfoOption* opts = lib().PQconninfoParse(url.c_str(), &err);
  if (!opts) {
    std::string why = err ? err : "malformed";
    lib().PQfreemem(err);
    while (!why.empty() && why.back() == '\n') why.pop_back();
    return "a database whose URL is malformed (" + why + ")";
  }
  std::string db, host, port;
  for (auto* o = opts; o->keyword; ++o) {
    const std::string k = o->keyword;
    const std::string v = o->val ? o->val : "";
    if (k == "dbname") db = v;
    else if (k == "host" || (k == "hostaddr" && host.empty())) host = v;
    else if (k == "port") port = v;
  }
  lib().PQconninfoFree(opts);
  std::string out = "database " + (db.empty() ? std::string("(default)") : db);
  if (!host.empty()) out += " on " + host + (port.empty() ? "" : ":" + port);
  return out;
}

std::string Conn::open(const std::string& url, const std::string& application_name) {
  close();
  std::string missing;
  if (!load_libpq(&missing)) return missing;
  target_ = describe_target(url);
  // connect_timeout and tcp_user_timeout bound how long a call can hang on
  // a database that stopped answering (a partition, a paused server); the
  // keepalives find a dead peer on an idle connection.
  const char* keys[] = {"dbname", "application_name", "connect_timeout", "tcp_user_timeout", "keepalives_idle",
                        "keepalives_interval", "keepalives_count", nullptr};
  const char* values[] = {url.c_str(), application_name.c_str(), "5", "10000", "5", "2", "3", nullptr};
  c_.reset(lib().PQconnectdbParams(keys, values, /*expand_dbname=*/1));
  if (ok()) {
    // The server's notices ("relation already exists, skipping") are not
    // the operator's business; libpq prints them to stderr by default.
    lib().PQsetNoticeProcessor(c_.get(), [](void*, const char*) {}, nullptr);
    // Non-blocking: a statement is sent and awaited under the answer limit.
    if (lib().PQsetnonblocking(c_.get(), 1) == 0) return "";
  }
  std::string why = c_ ? lib().PQerrorMessage(c_.get()) : "out of memory";
  while (!why.empty() && why.back() == '\n') why.pop_back();
  close();
  return "cannot reach the " + target_ + ": " + why;
}

void Conn::fail(PGresult* r, const std::string& context) {
  const char* state = r ? lib().PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string why = r ? lib().PQresultErrorMessage(r) : "";
  if (why.empty() && c_) why = lib().PQerrorMessage(c_.get());
  while (!why.empty() && why.back() == '\n') why.pop_back();
  const std::string sqlstate = state ? state : "";
  if (r) lib().PQclear(r);
  const bool lost = !c_ || lib().PQstatus(c_.get()) != CONNECTION_OK || sqlstate.rfind("08", 0) == 0;
  throw Failure(context + ": " + why, sqlstate, lost);
}

Rows Conn::run(const std::string& sql, const std::vector<Value>& params) {
  if (!c_) throw Failure("not connected to the database", "", true);
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = "s" + std::to_string(prepared_.size() + 1);
    const std::string context = "cannot prepare a statement";
    if (!lib().PQsendPrepare(c_.get(), name.c_str(), sql.c_str(), 0, nullptr)) fail(nullptr, context);
    PGresult* r = answer(context);
    if (lib().PQresultStatus(r) != PGRES_COMMAND_OK) fail(r, context);
    lib().PQclear(r);
    it = prepared_.emplace(sql, std::move(name)).first;
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p.text ? p.text->c_str() : nullptr);
  const std::string context = "the database refused a statement";
  if (!lib().PQsendQueryPrepared(c_.get(), it->second.c_str(), static_cast<int>(values.size()), values.data(), nullptr,
                                 nullptr, 0))
    fail(nullptr, context);
  PGresult* r = answer(context);
  const auto status = lib().PQresultStatus(r);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) fail(r, context);
  return Rows(r);
}

void Conn::exec(const std::string& sql) {
  if (!c_) throw Failure("not connected to the database", "", true);
  const std::string context = "the database refused a statement";
  if (!lib().PQsendQuery(c_.get(), sql.c_str())) fail(nullptr, context);
  PGresult* r = answer(context);
  const auto status = lib().PQresultStatus(r);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) fail(r, context);
  lib().PQclear(r);
}

PGresult* Conn::answer(const std::string& context) {
  using clock = std::chrono::steady_clock;
  PGconn* c = c_.get();
  const auto deadline = clock::now() + answer_limit_;
  // Waits for the socket; false once the answer limit has passed.
  auto wait = [&](short events) {
    pollfd p{lib().PQsocket(c), events, 0};
    for (;;) {
      int ms = -1;
      if (answer_limit_.count() > 0) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now()).count();
        if (left <= 0) return false;
        ms = static_cast<int>(left);
      }
      const int n = ::poll(&p, 1, ms);
      if (n != 0 && !(n < 0 && errno == EINTR)) return true;  // ready, or an error libpq will report
      if (n == 0) return false;
    }
  };
  auto unanswered = [&] {
    close();  // whatever it answers later is for nobody
    return Failure("cannot reach the " + target_ + ": no answer to a statement within " +
                       std::to_string(answer_limit_.count() / 1000) + " s",
                   "", true);
  };
  for (;;) {  // the statement out (the connection is non-blocking)
    const int flushed = lib().PQflush(c);
    if (flushed == 0) break;
    if (flushed < 0) fail(nullptr, context);
    if (!wait(POLLIN | POLLOUT)) throw unanswered();
    if (!lib().PQconsumeInput(c)) fail(nullptr, context);
  }
  // Every result until the end (exec may run several statements): the
  // first that failed, else the last.
  PGresult* kept = nullptr;
  auto failed = [](PGresult* r) {
    const auto status = lib().PQresultStatus(r);
    return status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK;
  };
  for (;;) {
    while (lib().PQisBusy(c)) {
      if (!wait(POLLIN)) {
        if (kept) lib().PQclear(kept);
        throw unanswered();
      }
      if (!lib().PQconsumeInput(c)) {
        if (kept) lib().PQclear(kept);
        fail(nullptr, context);
      }
    }
    PGresult* r = lib().PQgetResult(c);
    if (!r) break;
    if (kept && failed(kept)) {
      lib().PQclear(r);
    } else {
      if (kept) lib().PQclear(kept);
      kept = r;
    }
  }
  if (!kept) fail(nullptr, context);
  return kept;
}

}  // namespace asc_webhookd::store::pg
