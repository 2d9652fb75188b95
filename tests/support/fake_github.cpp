#include "support/fake_github.hpp"

#include "asc_webhookd/core/clock.hpp"
#include "asc_webhookd/core/jwt.hpp"

#include <chrono>
#include <regex>

namespace asc_webhookd::test {

using nlohmann::json;

namespace {

FakeResponse gh_error(int status, const std::string& message, const std::string& doc = "https://docs.github.com/rest") {
  return {status, {{"Content-Type", "application/json; charset=utf-8"}},
          json{{"message", message}, {"documentation_url", doc}, {"status", std::to_string(status)}}.dump(), {}};
}

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

FakeGithub::FakeGithub() : server([this](const FakeRequest& r) { return handle(r); }) {}

void FakeGithub::add_token(const std::string& pat) {
  std::lock_guard l(mutex_);
  pats_.insert(pat);
}
void FakeGithub::add_repo(const std::string& repo, std::map<std::string, Workflow> workflows) {
  std::lock_guard l(mutex_);
  repos_[repo] = std::move(workflows);
}
void FakeGithub::set_app(std::int64_t app_id, std::int64_t installation_id, const std::string& public_pem) {
  std::lock_guard l(mutex_);
  app_id_ = app_id;
  installation_id_ = installation_id;
  app_public_pem_ = public_pem;
}
void FakeGithub::set_max_inputs(std::size_t n) {
  std::lock_guard l(mutex_);
  max_inputs_ = n;
}
void FakeGithub::expire_installation_tokens() {
  std::lock_guard l(mutex_);
  for (auto& [t, valid] : installation_tokens_) valid = false;
}
int FakeGithub::tokens_minted() const {
  std::lock_guard l(mutex_);
  return static_cast<int>(installation_tokens_.size());
}
void FakeGithub::refuse_run_details(unsigned status) {
  std::lock_guard l(mutex_);
  refuse_run_details_ = status;
}

std::vector<json> FakeGithub::dispatches() const {
  std::lock_guard l(mutex_);
  return dispatches_;
}

std::vector<json> FakeGithub::issues(const std::string& repo) const {
  std::lock_guard l(mutex_);
  auto it = issues_.find(repo);
  return it == issues_.end() ? std::vector<json>{} : it->second;
}

void FakeGithub::answer_next_create_with(FakeResponse r) {
  std::lock_guard l(mutex_);
  after_create_.push_back(std::move(r));
}

FakeResponse FakeGithub::create_issue(const FakeRequest& r, const std::string& repo) {
  if (!repos_.count(repo)) return gh_error(404, "Not Found", "https://docs.github.com/rest/issues/issues#create-an-issue");
  auto body = json::parse(r.body, nullptr, false);
  if (body.is_discarded()) return gh_error(400, "Problems parsing JSON");
  if (!body.is_object() || !body.contains("title") || !(body["title"].is_string() || body["title"].is_number()))
    return gh_error(422, "Invalid request.\n\n\"title\" wasn't supplied.");
  const std::string text = body.value("body", "");
  std::size_t characters = 0;  // GitHub counts characters, not bytes
  for (unsigned char c : text) characters += (c & 0xC0) != 0x80;
  if (characters > 65536)
    return {422, {{"Content-Type", "application/json; charset=utf-8"}},
            json{{"message", "Validation Failed"},
                 {"errors", {{{"resource", "Issue"}, {"code", "custom"}, {"field", "body"},
                              {"message", "body is too long (maximum is 65536 characters)"}}}},
                 {"documentation_url", "https://docs.github.com/rest/reference/issues#create-an-issue"}}.dump(), {}};
  json labels = json::array();
  for (const auto& l : body.value("labels", json::array()))
    labels.push_back({{"id", 9000 + labels.size()}, {"name", l.is_string() ? l.get<std::string>() : l.value("name", "")},
                      {"color", "ededed"}, {"default", false}});
  auto& list = issues_[repo];
  const int number = static_cast<int>(list.size()) + 1;
  json issue = {{"id", 3287654321LL + number}, {"number", number}, {"state", "open"}, {"title", body["title"]}, {"body", text},
                {"labels", labels}, {"url", "https://api.github.com/repos/" + repo + "/issues/" + std::to_string(number)},
                {"html_url", "https://github.com/" + repo + "/issues/" + std::to_string(number)},
                {"user", {{"login", "asc-webhookd[bot]"}, {"type", "Bot"}}}};
  list.push_back(issue);
  if (!after_create_.empty()) {  // made, then answered otherwise
    FakeResponse f = after_create_.front();
    after_create_.erase(after_create_.begin());
    return f;
  }
  return {201, {{"Content-Type", "application/json; charset=utf-8"}, {"Location", issue["url"].get<std::string>()}}, issue.dump(), {}};
}

FakeResponse FakeGithub::list_issues(const FakeRequest& r, const std::string& repo) {
  if (!repos_.count(repo)) return gh_error(404, "Not Found", "https://docs.github.com/rest/issues/issues#list-repository-issues");
  const auto q = r.target.find('?');
  auto query = url_decoded_fields(q == std::string::npos ? "" : r.target.substr(q + 1));
  std::vector<std::string> wanted;  // labels: a comma-separated list, all must match
  for (std::size_t start = 0; !query["labels"].empty() && start <= query["labels"].size();) {
    auto comma = query["labels"].find(',', start);
    wanted.push_back(query["labels"].substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  const std::string state = query.count("state") ? query["state"] : "open";
  json out = json::array();
  for (auto it = issues_[repo].rbegin(); it != issues_[repo].rend(); ++it) {  // newest first
    if (state != "all" && (*it)["state"] != state) continue;
    bool all = true;
    for (const auto& w : wanted) {
      bool has = false;
      for (const auto& l : (*it)["labels"]) has = has || l["name"] == w;
      all = all && has;
    }
    if (all) out.push_back(*it);
  }
  return {200, {{"Content-Type", "application/json; charset=utf-8"}}, out.dump(), {}};
}

FakeResponse FakeGithub::handle(const FakeRequest& r) {
  std::lock_guard l(mutex_);
  if (r.header("user-agent").empty())
    return gh_error(403, "Request forbidden by administrative rules. Please make sure your request has a User-Agent header");
  const std::string version = r.header("x-github-api-version");
  if (!version.empty() && version != "2022-11-28" && version != "2026-03-10")
    return gh_error(400, "API version " + version + " is not supported.");
  std::string path = r.target.substr(0, r.target.find('?'));
  if (path.rfind("/api/v3", 0) == 0) path = path.substr(7);  // GHES form
  const std::string auth = r.header("authorization");
  std::string token;
  if (auth.rfind("Bearer ", 0) == 0) token = auth.substr(7);
  else if (auth.rfind("token ", 0) == 0) token = auth.substr(6);

  static const std::regex access(R"(/app/installations/(\d+)/access_tokens)");
  std::smatch m;
  if (std::regex_match(path, m, access)) {
    if (r.method != "POST") return gh_error(404, "Not Found");
    auto decoded = jwt::verify(token, app_public_pem_, jwt::Algorithm::rs256);
    if (!decoded) return gh_error(401, "A JSON web token could not be decoded");
    const auto& c = decoded->claims;
    if (decoded->header.value("alg", "") != "RS256") return gh_error(401, "A JSON web token could not be decoded");
    if (!c.contains("iat") || !c.contains("exp") || !c.contains("iss")) return gh_error(401, "Missing 'iat', 'exp' or 'iss' claim");
    std::int64_t iat = c["iat"].get<std::int64_t>(), exp = c["exp"].get<std::int64_t>();
    if (exp - iat > 600) return gh_error(401, "'Expiration time' claim ('exp') is too far in the future");
    if (exp <= now_s()) return gh_error(401, "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires");
    if (iat > now_s() + 60) return gh_error(401, "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued");
    const std::string iss = c["iss"].is_string() ? c["iss"].get<std::string>() : c["iss"].dump();
    if (iss != std::to_string(app_id_)) return gh_error(401, "Integration not found");
    if (m[1] != std::to_string(installation_id_)) return gh_error(404, "Not Found");
    std::string minted = "ghs_fake" + std::to_string(installation_tokens_.size() + 1);
    installation_tokens_[minted] = true;
    return {201, {{"Content-Type", "application/json; charset=utf-8"}},
            json{{"token", minted}, {"expires_at", format_utc((now_s() + 3600) * 1000)}, {"permissions", {{"actions", "write"}, {"contents", "write"}}},
                 {"repository_selection", "selected"}}.dump(), {}};
  }

  const bool valid = pats_.count(token) || (installation_tokens_.count(token) && installation_tokens_[token]);
  if (!valid) return gh_error(401, "Bad credentials");
  static const std::regex workflow(R"(/repos/([^/]+/[^/]+)/actions/workflows/([^/]+)/dispatches)");
  static const std::regex repo_dispatch(R"(/repos/([^/]+/[^/]+)/dispatches)");
  if (r.method == "POST" && std::regex_match(path, m, workflow)) return dispatch(r, m[1], m[2], token);
  if (r.method == "POST" && std::regex_match(path, m, repo_dispatch)) return dispatch(r, m[1], "", token);
  static const std::regex issues_re(R"(/repos/([^/]+/[^/]+)/issues)");
  if (std::regex_match(path, m, issues_re)) return r.method == "POST" ? create_issue(r, m[1]) : list_issues(r, m[1]);
  static const std::regex run(R"(/repos/([^/]+/[^/]+)/actions/runs/(\d+))");
  if (r.method == "GET" && std::regex_match(path, m, run)) {
    auto it = runs_.find(std::stoll(m[2]));
    if (it == runs_.end() || it->second != m[1].str()) return gh_error(404, "Not Found");
    return {200, {{"Content-Type", "application/json; charset=utf-8"}},
            json{{"id", it->first}, {"status", "queued"}, {"html_url", "https://github.com/" + it->second + "/actions/runs/" + std::to_string(it->first)}}.dump(), {}};
  }
  return gh_error(404, "Not Found");
}

FakeResponse FakeGithub::dispatch(const FakeRequest& r, const std::string& repo, const std::string& workflow,
                                  const std::string& token) {
  auto it = repos_.find(repo);
  if (it == repos_.end())
    return gh_error(404, "Not Found", "https://docs.github.com/rest/repos/repos#create-a-repository-dispatch-event");
  auto body = json::parse(r.body, nullptr, false);
  if (body.is_discarded()) return gh_error(400, "Problems parsing JSON");
  if (!body.is_object()) return gh_error(400, "Body should be a JSON object");
  if (workflow.empty()) {
    if (!body.contains("event_type") || !body["event_type"].is_string())
      return gh_error(422, "Invalid request.\n\n\"event_type\" wasn't supplied.");
    if (body["event_type"].get<std::string>().size() > 100) return gh_error(422, "event_type is too long (maximum is 100 characters)");
    if (body.contains("client_payload")) {
      const auto& p = body["client_payload"];
      if (!p.is_object()) return gh_error(422, "client_payload must be an object");
      if (p.size() > 10)
        return gh_error(422, "No more than 10 properties are allowed; " + std::to_string(p.size()) + " were supplied.");
      if (p.dump().size() >= 64 * 1024) return gh_error(422, "client_payload is too large");
    }
  } else {
    if (body.contains("return_run_details")) {
      if (refuse_run_details_) return gh_error(refuse_run_details_, "\"return_run_details\" is not a permitted key.");
      if (!body["return_run_details"].is_boolean()) return gh_error(422, "return_run_details must be a boolean");  // our pick
    }
    auto w = it->second.find(workflow);
    if (w == it->second.end())
      return gh_error(404, "Not Found", "https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event");
    if (!body.contains("ref") || !body["ref"].is_string()) return gh_error(422, "Required input 'ref' not provided");
    if (body["ref"] != "main" && body["ref"] != "develop") return gh_error(422, "No ref found for: " + body["ref"].get<std::string>());
    json inputs = body.value("inputs", json::object());
    if (inputs.size() > max_inputs_) return gh_error(422, "you may only define up to " + std::to_string(max_inputs_) + " inputs");
    json unexpected = json::array();
    for (const auto& [k, v] : inputs.items()) {
      if (!w->second.inputs.count(k)) unexpected.push_back(k);
      if (!v.is_string()) return gh_error(422, "Invalid value for input '" + k + "'");
    }
    if (!unexpected.empty()) return gh_error(422, "Unexpected inputs provided: " + unexpected.dump());
    for (const auto& req : w->second.required)
      if (!inputs.contains(req)) return gh_error(422, "Required input '" + req + "' not provided");
  }
  dispatches_.push_back({{"path", r.target}, {"body", body}, {"token", token}});
  if (!workflow.empty() && body.value("return_run_details", false)) {
    const std::int64_t id = next_run_++;
    runs_[id] = repo;
    const std::string tail = repo + "/actions/runs/" + std::to_string(id);
    return {200, {{"Content-Type", "application/json; charset=utf-8"}},
            json{{"workflow_run_id", id}, {"run_url", "https://api.github.com/repos/" + tail}, {"html_url", "https://github.com/" + tail}}.dump(), {}};
  }
  return {204, {}, "", {}};
}

}  // namespace asc_webhookd::test
