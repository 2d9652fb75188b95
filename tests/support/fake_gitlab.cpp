#include "support/fake_gitlab.hpp"

#include <boost/url/decode_view.hpp>
#include <boost/url/parse_query.hpp>

#include <regex>

namespace asc_webhookd::test {

using json = nlohmann::json;

namespace {

FakeResponse gl(int status, const json& body) { return {status, {{"Content-Type", "application/json"}}, body.dump(), {}}; }

std::string decoded(std::string_view s) {
  std::string out;
  for (char c : boost::urls::decode_view(s)) out += c;
  return out;
}

// token, ref and variables from a query string or a form body.
void read_params(std::string_view text, json& into) {
  auto params = boost::urls::parse_query(text);
  if (!params) return;
  for (auto p : *params) {
    std::string key(p.key), value(p.value);
    if (key.rfind("variables[", 0) == 0 && key.back() == ']') into["variables"][key.substr(10, key.size() - 11)] = value;
    else into[key] = value;
  }
}

}  // namespace

FakeGitlab::FakeGitlab() : server([this](const FakeRequest& r) { return handle(r); }) {}

void FakeGitlab::add_project(std::int64_t id, const std::string& path, std::set<std::string> refs, const std::string& token) {
  std::lock_guard l(mutex_);
  projects_.push_back({id, path, std::move(refs)});
  tokens_[token] = id;
}

void FakeGitlab::revoke(const std::string& token) {
  std::lock_guard l(mutex_);
  tokens_.erase(token);
}

void FakeGitlab::set_pipeline_limit(int per_minute) {
  std::lock_guard l(mutex_);
  limit_ = per_minute;
}

std::vector<FakeGitlab::Pipeline> FakeGitlab::pipelines() const {
  std::lock_guard l(mutex_);
  return pipelines_;
}

FakeResponse FakeGitlab::handle(const FakeRequest& r) {
  std::lock_guard l(mutex_);
  static const std::regex route(R"(/api/v4/projects/([^/]+)(/ref/([^/]+))?/trigger/pipeline)");
  std::smatch m;
  const std::string path = r.target.substr(0, r.target.find('?'));
  if (r.method != "POST" || !std::regex_match(path, m, route)) return gl(404, {{"error", "404 Not Found"}});
  if (r.header("x-gitlab-event") == "Pipeline Hook") return gl(403, {{"message", "403 Forbidden"}});
  json params = json::object();
  if (auto q = r.target.find('?'); q != std::string::npos) read_params(std::string_view(r.target).substr(q + 1), params);
  if (r.header("content-type").rfind("application/json", 0) == 0) {
    auto body = json::parse(r.body, nullptr, false);
    if (!body.is_object()) return gl(400, {{"error", "body is not valid JSON"}});
    for (auto& [k, v] : body.items()) params[k] = v;
  } else {
    read_params(r.body, params);
  }
  if (m[3].matched) params["ref"] = decoded(m[3].str());
  const std::string project_ref = decoded(m[1].str());
  auto project = std::find_if(projects_.begin(), projects_.end(),
                              [&](const Project& p) { return std::to_string(p.id) == project_ref || p.path == project_ref; });
  const std::string token = params.value("token", json("")).is_string() ? params.value("token", "") : "";
  auto owner = tokens_.find(token);
  if (project == projects_.end() || owner == tokens_.end() || owner->second != project->id) return gl(404, {{"message", "404 Not Found"}});
  if (!params.contains("ref") || !params["ref"].is_string()) return gl(400, {{"error", "ref is missing"}});
  Pipeline p;
  p.project = project->path;
  p.ref = params["ref"].get<std::string>();
  if (params.contains("variables")) {
    if (!params["variables"].is_object()) return gl(400, {{"message", "variables needs to be a map of key-valued strings"}});
    for (const auto& [k, v] : params["variables"].items()) {
      if (!v.is_string()) return gl(400, {{"message", "variables needs to be a map of key-valued strings"}});
      p.variables[k] = v.get<std::string>();
    }
  }
  if (!project->refs.count(p.ref)) return gl(400, {{"message", {{"base", json::array({"Reference not found"})}}}});
  const auto now = std::chrono::steady_clock::now();
  if (limit_ > 0) {
    std::erase_if(recent_, [&](auto t) { return now - t >= std::chrono::minutes(1); });
    if (static_cast<int>(recent_.size()) >= limit_)
      return gl(400, {{"message", {{"base", json::array({"Too many pipelines created in the last minute. Try again later."})}}}});
    recent_.push_back(now);
  }
  p.id = next_id_++;
  pipelines_.push_back(p);
  const std::string web = server.url("/" + project->path + "/-/pipelines/" + std::to_string(p.id));
  return gl(201, {{"id", p.id}, {"iid", p.id - 139}, {"project_id", project->id}, {"sha", "91e2711a93e5d9e8dddfeb6d003b636b25bf6fc9"},
                  {"ref", p.ref}, {"status", "created"}, {"source", "trigger"}, {"web_url", web}, {"tag", false},
                  {"yaml_errors", nullptr}, {"user", {{"id", 1}, {"username", "root"}}},
                  {"detailed_status", {{"icon", "status_created"}, {"text", "created"}, {"label", "created"}, {"group", "created"}}}});
}

}  // namespace asc_webhookd::test
