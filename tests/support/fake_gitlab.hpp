#pragma once
// A fake GitLab pipeline-trigger API (its documented answers) on 127.0.0.1:
// POST /api/v4/projects/{id or url-encoded path}/trigger/pipeline and
// /ref/{ref}/trigger/pipeline, with token, ref and variables as JSON, form
// fields or query parameters. Trigger tokens belong to a project (unknown,
// revoked or another project's → 404 "404 Not Found"); `X-Gitlab-Event:
// Pipeline Hook` → 403; a ref that is neither branch nor tag → 400
// {"message":{"base":["Reference not found"]}}; a non-string variable → 400;
// success 201 with the pipeline (increasing id/iid, web_url). The
// pipeline-creation limit answers the (N+1)th call within a minute with 400
// "Too many pipelines created in the last minute. Try again later."
#include "support/fake_http.hpp"

#include <nlohmann/json.hpp>

#include <set>

namespace asc_webhookd::test {

class FakeGitlab {
public:
  struct Pipeline {
    std::int64_t id = 0;
    std::string project, ref;
    std::map<std::string, std::string> variables;
  };

  FakeGitlab();
  std::string api_url() const { return server.url("/api/v4"); }
  // A project by id and path, its branches and tags, and a trigger token for it.
  void add_project(std::int64_t id, const std::string& path, std::set<std::string> refs, const std::string& token);
  void revoke(const std::string& token);
  void set_pipeline_limit(int per_minute);  // 0: off (self-managed default)

  std::vector<Pipeline> pipelines() const;

private:
  struct Project {
    std::int64_t id;
    std::string path;
    std::set<std::string> refs;
  };
  FakeResponse handle(const FakeRequest& r);

  mutable std::mutex mutex_;
  std::vector<Project> projects_;
  std::map<std::string, std::int64_t> tokens_;  // token → project id
  int limit_ = 0;
  std::vector<std::chrono::steady_clock::time_point> recent_;
  std::vector<Pipeline> pipelines_;
  std::int64_t next_id_ = 257;

public:
  FakeHttpServer server;  // last: stopped before the state its handler uses goes
};

}  // namespace asc_webhookd::test
