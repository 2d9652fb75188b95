#pragma once
// A fake GitHub REST API (its documented answers) on 127.0.0.1: checks what
// GitHub checks — User-Agent, bearer credentials (PATs and App installation
// tokens), the App JWT (RS256 against the App's public key, iss, a lifetime
// of at most 10 minutes), dispatch payload limits, workflow inputs and refs —
// and answers with GitHub's status codes and error bodies; issues created
// (201 with Location, incrementing numbers per repository, 422 for a body
// over 65,536 characters or no title) and listed by label with state=all.
// Canned answers pushed on `server` come first (rate limits, 5xx).
#include "support/fake_http.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace asc_webhookd::test {

class FakeGithub {
public:
  struct Workflow {
    std::set<std::string> inputs;    // declared inputs
    std::set<std::string> required;  // of those, required
  };

  FakeGithub();

  // GitHub Enterprise Server form: the API under /api/v3 (github.com form also answered).
  std::string api_url() const { return server.url("/api/v3"); }

  // Configuration (set before use; guarded for reads from the server thread).
  void add_token(const std::string& pat);
  void add_repo(const std::string& repo, std::map<std::string, Workflow> workflows = {});
  void set_app(std::int64_t app_id, std::int64_t installation_id, const std::string& public_pem);
  void set_max_inputs(std::size_t n);
  // A GitHub Enterprise Server before 3.21 (no return_run_details):
  // `return_run_details` is refused with this status (400, or 422).
  void refuse_run_details(unsigned status = 400);

  // Every installation token issued so far stops working (→ 401).
  void expire_installation_tokens();
  int tokens_minted() const;
  // Accepted dispatches: {"path", "body", "token"}.
  std::vector<nlohmann::json> dispatches() const;
  // The repository's issues as GitHub answers them ({number, title, body, labels: [{name}], ...}).
  std::vector<nlohmann::json> issues(const std::string& repo) const;
  // The next issue create is made, then answered with `r` (r.cut: the
  // connection closed) instead of 201.
  void answer_next_create_with(FakeResponse r);

private:
  FakeResponse handle(const FakeRequest& r);
  FakeResponse dispatch(const FakeRequest& r, const std::string& repo, const std::string& workflow, const std::string& token);
  FakeResponse create_issue(const FakeRequest& r, const std::string& repo);
  FakeResponse list_issues(const FakeRequest& r, const std::string& repo);

  mutable std::mutex mutex_;
  std::set<std::string> pats_;
  std::map<std::string, std::map<std::string, Workflow>> repos_;
  std::int64_t app_id_ = 0;
  std::int64_t installation_id_ = 0;
  std::string app_public_pem_;
  std::map<std::string, bool> installation_tokens_;  // token → still valid
  std::size_t max_inputs_ = 25;
  std::vector<nlohmann::json> dispatches_;
  unsigned refuse_run_details_ = 0;
  std::map<std::int64_t, std::string> runs_;  // id → repo
  std::int64_t next_run_ = 9'000'001;
  std::map<std::string, std::vector<nlohmann::json>> issues_;
  std::vector<FakeResponse> after_create_;

public:
  FakeHttpServer server;  // last: stopped before the state its handler uses goes
};

}  // namespace asc_webhookd::test
