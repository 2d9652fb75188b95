#pragma once
// A fake Jira (its documented answers), Cloud or Data Center: Basic
// email:token (Cloud) or Bearer PAT (DC); Cloud's /rest/api/3/search/jql
// with token paging and 410 on the removed /search, DC's /rest/api/2/search
// with startAt/total; a workflow whose transitions depend on the current
// status and whose names are localized unless Accept-Language is en; ADF
// comments on v3 (a string body is refused), strings on v2; versions with an
// idempotent release. JQL is not parsed: tests register the issues a query
// string finds. Canned answers pushed on `server` come first.
#include "support/fake_http.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace asc_webhookd::test {

class FakeJira {
public:
  enum class Flavor { cloud, datacenter };
  struct Transition {
    std::string id;
    std::string name;     // English
    std::string name_de;  // what a German-speaking account sees
    std::string to;
  };
  struct Version {
    std::string id;
    std::string name;
    bool released = false;
    std::string release_date;
  };

  explicit FakeJira(Flavor flavor);

  static constexpr const char* kEmail = "ci@acme.com";
  static constexpr const char* kToken = "jira-api-token-123";
  static constexpr const char* kPat = "jira-dc-pat-456";
  std::string base_url() const { return server.url(""); }

  // The standard workflow: To Do → In Progress → Ready for Release → Done.
  void add_issue(const std::string& key, const std::string& status);
  void add_query(const std::string& jql, std::vector<std::string> keys);
  void add_version(const std::string& project, Version v);
  void set_page_size(std::size_t n);
  // The n-th request (1-based, counting every request) gets `r` instead.
  void fail_request(int n, FakeResponse r);

  std::string status(const std::string& key) const;
  std::vector<nlohmann::json> comments(const std::string& key) const;
  std::vector<Version> versions(const std::string& project) const;
  int transitions_posted() const;

private:
  FakeResponse handle(const FakeRequest& r);
  std::vector<Transition> available(const std::string& status) const;

  Flavor flavor_;
  mutable std::mutex mutex_;
  std::map<std::string, std::string> issues_;
  std::map<std::string, std::vector<std::string>> queries_;
  std::map<std::string, std::vector<Version>> versions_;
  std::map<std::string, std::vector<nlohmann::json>> comments_;
  std::size_t page_size_ = 50;
  int transitions_posted_ = 0;
  int requests_ = 0;
  std::map<int, FakeResponse> scripted_;

public:
  FakeHttpServer server;  // last: stopped before the state its handler uses goes
};

}  // namespace asc_webhookd::test
