#include "support/fake_jira.hpp"

#include "asc_webhookd/core/jwt.hpp"

#include <algorithm>
#include <optional>
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

// Atlassian Document Format as Jira checks it: a doc of version 1 with
// content, no empty text node anywhere.
bool valid_adf(const json& node, bool root) {
  if (!node.is_object()) return false;
  if (root && !(node.value("type", "") == "doc" && node.value("version", 0) == 1 && node.contains("content"))) return false;
  if (node.value("type", "") == "text" && node.value("text", "").empty()) return false;
  if (auto c = node.find("content"); c != node.end()) {
    if (!c->is_array()) return false;
    for (const auto& child : *c)
      if (!valid_adf(child, false)) return false;
  }
  return true;
}

struct Part {
  std::string name, filename, content_type, bytes;
};

// multipart/form-data (RFC 7578) as a server reads it.
std::optional<std::vector<Part>> multipart_parts(const std::string& content_type, const std::string& body) {
  auto b = content_type.find("boundary=");
  if (content_type.rfind("multipart/form-data", 0) != 0 || b == std::string::npos) return std::nullopt;
  const std::string delimiter = "--" + content_type.substr(b + 9);
  std::vector<Part> parts;
  std::size_t pos = body.find(delimiter);
  while (pos != std::string::npos) {
    pos += delimiter.size();
    if (body.compare(pos, 2, "--") == 0) return parts;  // the closing delimiter
    if (body.compare(pos, 2, "\r\n") != 0) return std::nullopt;
    pos += 2;
    const auto head_end = body.find("\r\n\r\n", pos);
    const auto next = body.find("\r\n" + delimiter, pos);
    if (head_end == std::string::npos || next == std::string::npos || head_end > next) return std::nullopt;
    const std::string head = body.substr(pos, head_end - pos);
    Part p;
    static const std::regex name_re(R"re([; ]name="([^"]*)")re"), file_re(R"re(filename="([^"]*)")re"),
        type_re(R"re(Content-Type: ([^\r\n]*))re", std::regex::icase);
    std::smatch m;
    if (std::regex_search(head, m, name_re)) p.name = m[1];
    if (std::regex_search(head, m, file_re)) p.filename = m[1];
    if (std::regex_search(head, m, type_re)) p.content_type = m[1];
    p.bytes = body.substr(head_end + 4, next - head_end - 4);
    parts.push_back(std::move(p));
    pos = next + 2;
  }
  return std::nullopt;
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
void FakeJira::add_project(const std::string& key) {
  std::lock_guard l(mutex_);
  projects_.insert(key);
}
void FakeJira::set_upload_limit(std::int64_t bytes) {
  std::lock_guard l(mutex_);
  upload_limit_ = bytes;
}
void FakeJira::set_search_lag(std::chrono::milliseconds lag) {
  std::lock_guard l(mutex_);
  search_lag_ = lag;
}
void FakeJira::answer_next_create_with(FakeResponse r) {
  std::lock_guard l(mutex_);
  after_create_.push_back(std::move(r));
}
std::vector<FakeJira::Created> FakeJira::created() const {
  std::lock_guard l(mutex_);
  return created_;
}
int FakeJira::attachment_posts() const {
  std::lock_guard l(mutex_);
  return attachment_posts_;
}

FakeResponse FakeJira::create(const json& body) {
  const bool cloud = flavor_ == Flavor::cloud;
  if (!body.is_object() || !body.contains("fields") || !body["fields"].is_object()) return jerr(400, {"Request body is not valid JSON"});
  const json& f = body["fields"];
  const std::string project = f.contains("project") ? f["project"].value("key", f["project"].value("id", "")) : "";
  if (project.empty()) return jerr(400, {}, {{"project", "project is required"}});
  if (!projects_.count(project)) return jerr(400, {"The value '" + project + "' does not exist for the field 'project'."});
  const std::string type = f.contains("issuetype") ? f["issuetype"].value("name", f["issuetype"].value("id", "")) : "";
  if (type != "Bug" && type != "Task" && type != "10004") return jerr(400, {}, {{"issuetype", "valid issue type is required"}});
  const std::string summary = f.value("summary", "");
  if (summary.empty()) return jerr(400, {}, {{"summary", "You must specify a summary of the issue."}});
  if (summary.size() > 255) return jerr(400, {}, {{"summary", "Summary must be less than 255 characters."}});
  if (summary.find_first_of("\r\n") != std::string::npos)
    return jerr(400, {}, {{"summary", "The summary is invalid because it contains newline characters."}});
  json description = f.value("description", json());
  if (!description.is_null()) {
    if (cloud && !valid_adf(description, true))
      return jerr(400, {}, {{"description", "Operation value must be an Atlassian Document (see the Atlassian Document Format)"}});
    if (!cloud && !description.is_string()) return jerr(400, {}, {{"description", "Operation value must be a string"}});
    if (description.dump().size() > 32767 + 2048)  // the text plus ADF's own characters
      return jerr(400, {}, {{"description", "The entered text is too long. It exceeds the allowed limit of 32,767 characters."}});
  }
  std::vector<std::string> labels;
  for (const auto& l : f.value("labels", json::array())) {
    const std::string label = l.is_string() ? l.get<std::string>() : "";
    if (label.find(' ') != std::string::npos)
      return jerr(400, {}, {{"labels", "The label '" + label + "' contains spaces which is invalid."}});
    if (label.size() > 255)
      return jerr(400, {"The label '" + label + "' exceeds the maximum length for a single label of 255 characters"});
    labels.push_back(label);
  }
  int n = 1;
  for (const auto& c : created_) n += c.project == project;
  Created c{project + "-" + std::to_string(n), project, type, summary, description, labels, {}, std::chrono::steady_clock::now()};
  issues_[c.key] = "To Do";
  created_.push_back(c);
  const std::string id = std::to_string(10000 + created_.size());
  if (!after_create_.empty()) {  // made, then answered otherwise
    FakeResponse r = after_create_.front();
    after_create_.erase(after_create_.begin());
    return r;
  }
  return jok(201, {{"id", id}, {"key", c.key}, {"self", base_url() + (cloud ? "/rest/api/3/issue/" : "/rest/api/2/issue/") + id}});
}

FakeResponse FakeJira::attach(const FakeRequest& r, const std::string& key) {
  if (r.header("x-atlassian-token") != "no-check") return {403, {{"Content-Type", "text/plain"}}, "XSRF check failed", {}};
  auto parts = multipart_parts(r.header("content-type"), r.body);
  if (!parts) return jerr(400, {"The request is not multipart/form-data."});
  auto it = std::find_if(created_.begin(), created_.end(), [&](const Created& c) { return c.key == key; });
  if (it == created_.end()) return jerr(404, {"Issue does not exist or you do not have permission to see it."});
  if (parts->size() > 60) return jerr(413, {"You can attach at most 60 files at a time."});
  json answer = json::array();
  for (const auto& p : *parts) {
    if (p.name != "file") return jerr(400, {"Attachments must be sent in a part named 'file'."});
    if (static_cast<std::int64_t>(p.bytes.size()) > upload_limit_)
      return jerr(413, {"The file '" + p.filename + "' is too large: the maximum attachment size is " +
                        std::to_string(upload_limit_) + " bytes."});
  }
  ++attachment_posts_;
  for (const auto& p : *parts) {
    it->attachments.push_back({p.filename, p.content_type, p.bytes});
    answer.push_back({{"id", std::to_string(20000 + attachment_posts_)}, {"filename", p.filename}, {"size", p.bytes.size()},
                      {"mimeType", p.content_type}, {"created", "2026-12-05T10:15:02.118+0000"}});
  }
  return jok(200, answer);
}

FakeResponse FakeJira::search_labels(const std::string& project, const std::string& label, bool cloud) {
  json issues = json::array();
  const auto now = std::chrono::steady_clock::now();
  for (const auto& c : created_)
    if (c.project == project && std::find(c.labels.begin(), c.labels.end(), label) != c.labels.end() && now - c.at >= search_lag_)
      issues.push_back({{"id", "1"}, {"key", c.key}, {"fields", {{"status", {{"name", issues_[c.key]}}}}}});
  if (cloud) return jok(200, {{"issues", issues}, {"isLast", true}});
  return jok(200, {{"startAt", 0}, {"maxResults", 50}, {"total", issues.size()}, {"issues", issues}});
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
    static const std::regex by_label(R"re(project = "([^"]+)" AND labels = "([^"]+)")re");
    std::smatch lm;
    if (std::regex_match(jql, lm, by_label)) return search_labels(lm[1], lm[2], cloud);
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
  std::smatch m;
  if (path == "/issue" && r.method == "POST") return create(body);
  if (path == "/attachment/meta" && r.method == "GET") return jok(200, {{"enabled", upload_limit_ > 0}, {"uploadLimit", upload_limit_}});
  static const std::regex attachments_re(R"(/issue/([A-Z]+-\d+)/attachments)");
  if (r.method == "POST" && std::regex_match(path, m, attachments_re)) return attach(r, m[1]);
  static const std::regex one_issue_re(R"(/issue/([A-Z]+-\d+))");
  if (r.method == "GET" && std::regex_match(path, m, one_issue_re)) {
    auto it = std::find_if(created_.begin(), created_.end(), [&](const Created& c) { return c.key == m[1]; });
    if (it == created_.end()) return jerr(404, {"Issue does not exist or you do not have permission to see it."});
    json list = json::array();
    for (const auto& a : it->attachments) list.push_back({{"filename", a.filename}, {"size", a.bytes.size()}, {"mimeType", a.mime_type}});
    return jok(200, {{"id", "1"}, {"key", it->key}, {"fields", {{"attachment", list}}}});
  }
  static const std::regex issue_re(R"(/issue/([A-Z]+-\d+)/(transitions|comment))");
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
