#include "support/fake_jira.hpp"

#include "asc_webhookd/core/jwt.hpp"

#include <regex>

namespace asc_webhookd::test {

using nlohmann::json;

namespace {

FakeResponse jerr(int status, std::vector<std::string> messages, json errors = json::object()) {
  return {status, {{"Content-Type", "application/json;charset=UTF-8"}},
          json{{"errorMessages", messages}, {"errors", errors}}.dump(), {}};
}
FakeResponse jok(int status, const json& j) { return {status, {{"Content-Type", "application/json;charset=UTF-8"}}, j.dump(), {}}; }

std::string category(const std::string& status) {
  if (status == "Done") return "done";
  if (status == "To Do") return "new";
  return "indeterminate";
}

}  // namespace

FakeJira::FakeJira(Flavor flavor) : flavor_(flavor), server([this](const FakeRequest& r) { return handle(r); }) {}

void FakeJira::add_issue(const std::string& key, const std::string& status) {
  std::lock_guard l(mutex_);
  issues_[key] = status;
}
void FakeJira::add_query(const std::string& jql, std::vector<std::string> keys) {
  std::lock_guard l(mutex_);
  queries_[jql] = std::move(keys);
}
void FakeJira::add_version(const std::string& project, Version v) {
  std::lock_guard l(mutex_);
  versions_[project].push_back(std::move(v));
}
void FakeJira::set_page_size(std::size_t n) {
  std::lock_guard l(mutex_);
  page_size_ = n;
}
void FakeJira::fail_request(int n, FakeResponse r) {
  std::lock_guard l(mutex_);
  scripted_[n] = std::move(r);
}
std::string FakeJira::status(const std::string& key) const {
  std::lock_guard l(mutex_);
  auto it = issues_.find(key);
  return it == issues_.end() ? "" : it->second;
}
std::vector<json> FakeJira::comments(const std::string& key) const {
  std::lock_guard l(mutex_);
  auto it = comments_.find(key);
  return it == comments_.end() ? std::vector<json>{} : it->second;
}
std::vector<FakeJira::Version> FakeJira::versions(const std::string& project) const {
  std::lock_guard l(mutex_);
  auto it = versions_.find(project);
  return it == versions_.end() ? std::vector<Version>{} : it->second;
}
int FakeJira::transitions_posted() const {
  std::lock_guard l(mutex_);
  return transitions_posted_;
}

std::vector<FakeJira::Transition> FakeJira::available(const std::string& status) const {
  if (status == "To Do") return {{"11", "Start Progress", "Vorgang starten", "In Progress"}};
  if (status == "In Progress")
    return {{"21", "Ready for Release", "Bereit zur Veröffentlichung", "Ready for Release"}, {"31", "Done", "Erledigt", "Done"}};
  if (status == "Ready for Release") return {{"31", "Done", "Erledigt", "Done"}, {"41", "Reopen", "Wieder öffnen", "To Do"}};
  if (status == "Done") return {{"41", "Reopen", "Wieder öffnen", "To Do"}};
  return {};
}

FakeResponse FakeJira::handle(const FakeRequest& r) {
  std::lock_guard l(mutex_);
  if (auto it = scripted_.find(++requests_); it != scripted_.end()) return it->second;
  const bool cloud = flavor_ == Flavor::cloud;
  const std::string auth = r.header("authorization");
  const std::string want = cloud ? "Basic " + jwt::base64(std::string(kEmail) + ":" + kToken) : std::string("Bearer ") + kPat;
  if (auth != want) return {401, {{"WWW-Authenticate", "Basic realm=\"protected-area\""}}, "", {}};
  const std::string api = cloud ? "/rest/api/3" : "/rest/api/2";
  std::string path = r.target.substr(0, r.target.find('?'));
  if (cloud && (path == "/rest/api/3/search" || path == "/rest/api/2/search"))
    return jerr(410, {"The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration "
                      "guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"});
  if (path.rfind(api, 0) != 0) return jerr(404, {"null for uri: " + r.target});
  path = path.substr(api.size());
  const bool english = r.header("accept-language").rfind("en", 0) == 0;
  auto body = json::parse(r.body.empty() ? "null" : r.body, nullptr, false);

  if ((cloud && path == "/search/jql") || (!cloud && path == "/search")) {
    if (r.method != "POST" || !body.is_object()) return jerr(400, {"Request body is not valid JSON"});
    const std::string jql = body.value("jql", "");
    if (jql.empty()) return jerr(400, {"Unbounded JQL queries are not allowed here. Please add a search restriction to your query."});
    auto q = queries_.find(jql);
    std::vector<std::string> keys = q == queries_.end() ? std::vector<std::string>{} : q->second;
    std::size_t page = std::min<std::size_t>(page_size_, body.value("maxResults", 50));
    std::size_t start = 0;
    if (cloud && body.contains("nextPageToken")) start = std::stoul(body["nextPageToken"].get<std::string>().substr(4));
    if (!cloud) start = body.value("startAt", 0);
    json issues = json::array();
    for (std::size_t i = start; i < keys.size() && i < start + page; ++i) {
      const std::string& st = issues_[keys[i]];
      issues.push_back({{"id", std::to_string(10000 + i)}, {"key", keys[i]},
                        {"fields", {{"status", {{"name", st}, {"statusCategory", {{"key", category(st)}}}}}}}});
    }
    if (cloud) {
      json out = {{"issues", issues}, {"isLast", start + page >= keys.size()}};
      if (start + page < keys.size()) out["nextPageToken"] = "tok-" + std::to_string(start + page);
      return jok(200, out);
    }
    return jok(200, {{"startAt", start}, {"maxResults", page}, {"total", keys.size()}, {"issues", issues}});
  }
  static const std::regex issue_re(R"(/issue/([A-Z]+-\d+)/(transitions|comment))");
  std::smatch m;
  if (std::regex_match(path, m, issue_re)) {
    auto it = issues_.find(m[1]);
    if (it == issues_.end()) return jerr(404, {"Issue does not exist or you do not have permission to see it."});
    if (m[2] == "transitions" && r.method == "GET") {
      json list = json::array();
      for (const auto& t : available(it->second))
        list.push_back({{"id", t.id}, {"name", english ? t.name : t.name_de}, {"hasScreen", false}, {"isAvailable", true},
                        {"to", {{"name", t.to}, {"statusCategory", {{"key", category(t.to)}}}}}});
      return jok(200, {{"expand", "transitions"}, {"transitions", list}});
    }
    if (m[2] == "transitions" && r.method == "POST") {
      if (!body.is_object() || !body.contains("transition")) return jerr(400, {"Missing 'transition' identifier"});
      const json& t = body["transition"];
      const std::string id = t.contains("id") ? (t["id"].is_string() ? t["id"].get<std::string>() : t["id"].dump()) : "";
      for (const auto& tr : available(it->second)) {
        if (tr.id == id) {
          it->second = tr.to;
          ++transitions_posted_;
          return {204, {}, "", {}};
        }
      }
      return jerr(400, {"Transition id '" + id + "' is not valid for this issue."});
    }
    if (m[2] == "comment" && r.method == "POST") {
      if (!body.is_object() || !body.contains("body")) return jerr(400, {}, {{"comment", "Comment body can not be empty!"}});
      const json& b = body["body"];
      if (cloud && !(b.is_object() && b.value("type", "") == "doc" && b.value("version", 0) == 1))
        return jerr(400, {}, {{"comment", "Comment body is not valid!"}});  // v3 wants ADF
      if (!cloud && !b.is_string()) return jerr(400, {"Can not deserialize instance of java.lang.String out of START_OBJECT token"});
      comments_[m[1]].push_back(b);
      return jok(201, {{"id", std::to_string(comments_[m[1]].size())}, {"body", b}});
    }
    return jerr(405, {"Method not allowed"});
  }
  static const std::regex versions_re(R"(/project/([A-Z]+)/versions)");
  if (r.method == "GET" && std::regex_match(path, m, versions_re)) {
    if (!versions_.count(m[1]) && m[1] != "IOS") return jerr(404, {"No project could be found with key '" + m[1].str() + "'."});
    json list = json::array();
    for (const auto& v : versions_[m[1]]) {
      json j = {{"id", v.id}, {"name", v.name}, {"released", v.released}, {"archived", false}};
      if (!v.release_date.empty()) j["releaseDate"] = v.release_date;
      list.push_back(j);
    }
    return jok(200, list);
  }
  static const std::regex version_re(R"(/version/(\d+))");
  if (r.method == "PUT" && std::regex_match(path, m, version_re)) {
    for (auto& [project, list] : versions_) {
      for (auto& v : list) {
        if (v.id != m[1]) continue;
        if (!body.is_object()) return jerr(400, {"Invalid request"});
        if (body.value("released", false) && !v.released) {
          v.released = true;
          v.release_date = body.value("releaseDate", "");
        }
        return jok(200, {{"id", v.id}, {"name", v.name}, {"released", v.released}, {"releaseDate", v.release_date}});
      }
    }
    return jerr(404, {"Could not find version for id '" + m[1].str() + "'"});
  }
  return jerr(404, {"null for uri: " + r.target});
}

}  // namespace asc_webhookd::test
