#pragma once
// A fake Jira (its documented answers), Cloud or Data Center: Basic
// email:token (Cloud) or Bearer PAT (DC); Cloud's /rest/api/3/search/jql
// with token paging and 410 on the removed /search, DC's /rest/api/2/search
// with startAt/total; a workflow whose transitions depend on the current
// status and whose names are localized unless Accept-Language is en; ADF
// comments on v3 (a string body is refused), strings on v2; versions with an
// idempotent release. JQL is not parsed: tests register the issues a query
// string finds, except `project = "P" AND labels = "L"`, which finds created
// issues by label once the search lag has passed (Jira's search is
// eventually consistent). Issue create (v3: an ADF description with
// non-empty text nodes; v2: a string; labels without spaces, at most 255
// characters; a one-line summary of at most 255), attachments (multipart
// part `file`, X-Atlassian-Token: no-check or 403 "XSRF check failed", the
// upload limit and 60 files a request or 413), /attachment/meta and an
// issue's attachment list. Canned answers pushed on `server` come first.
#include "support/fake_http.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <chrono>
#include <mutex>
#include <set>
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

  // Create: the projects and issue types that exist.
  void add_project(const std::string& key);
  void set_upload_limit(std::int64_t bytes);
  void set_search_lag(std::chrono::milliseconds lag);
  // The next create is made, and then answered with `r` instead of 201
  // (r.cut: the connection closed) — a server that acted, then failed.
  void answer_next_create_with(FakeResponse r);

  struct Attachment {
    std::string filename;
    std::string mime_type;
    std::string bytes;
  };
  struct Created {
    std::string key;
    std::string project;
    std::string issue_type;
    std::string summary;
    nlohmann::json description;
    std::vector<std::string> labels;
    std::vector<Attachment> attachments;
    std::chrono::steady_clock::time_point at;
  };
  std::vector<Created> created() const;
  int attachment_posts() const;

  std::string status(const std::string& key) const;
  std::vector<nlohmann::json> comments(const std::string& key) const;
  std::vector<Version> versions(const std::string& project) const;
  int transitions_posted() const;

private:
  FakeResponse handle(const FakeRequest& r);
  FakeResponse create(const nlohmann::json& body);
  FakeResponse attach(const FakeRequest& r, const std::string& key);
  FakeResponse search_labels(const std::string& project, const std::string& label, bool cloud);
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
  std::set<std::string> projects_;
  std::vector<Created> created_;
  std::int64_t upload_limit_ = 10 * 1024 * 1024;  // Data Center's default
  std::chrono::milliseconds search_lag_{0};
  std::vector<FakeResponse> after_create_;
  int attachment_posts_ = 0;

public:
  FakeHttpServer server;  // last: stopped before the state its handler uses goes
};

}  // namespace asc_webhookd::test
