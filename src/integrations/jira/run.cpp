// Jira: issues found by JQL (every page) → transition by name or id, an
// optional comment, and an optional version release; Cloud (REST v3, ADF,
// Basic email:token) or Data Center (REST v2, strings, Bearer PAT)
// (Jira's REST API v3 / v2). Progress is kept per job, so a retry after a
// failure half-way does not transition or comment twice.
#include "api.hpp"

#include <strings.h>

namespace asc_webhookd::actions::detail {

const outbound::RetryPolicy& jira_policy() {
  static const outbound::RetryPolicy p{{409}, false, nullptr};  // 409: a concurrent transition; the next try sees it
  return p;
}

using nlohmann::json;
namespace net = boost::asio;

namespace {

using jira_api::Api;
using jira_api::make_api;
using jira_api::segment;

json comment_body(bool cloud, const std::string& text) { return {{"body", jira_api::rich_text(cloud, text)}}; }

constexpr int kPageSize = 100;
constexpr int kMaxPages = 100;

bool iequals(const std::string& a, const std::string& b) { return strcasecmp(a.c_str(), b.c_str()) == 0; }
bool is_number(const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; }

struct Issue {
  std::string key;
  std::string status;
};

}  // namespace

namespace {

// The action's templates, rendered; nullopt (with `out` set) when one fails.
struct Rendered {
  std::string jql;
  std::optional<std::string> transition, comment, project, version;
};

std::optional<Rendered> render_all(const Job& job, const config::JiraAction& a, Outcome& out) {
  Rendered r;
  auto jql = render(a.jql, job, out, "jql");
  if (!jql) return std::nullopt;
  r.jql = *jql;
  if (a.transition && !(r.transition = render(*a.transition, job, out, "transition"))) return std::nullopt;
  if (a.comment && !(r.comment = render(*a.comment, job, out, "comment"))) return std::nullopt;
  if (a.release_version) {
    if (!(r.project = render(a.release_version->project, job, out, "release_version.project"))) return std::nullopt;
    if (!(r.version = render(a.release_version->name, job, out, "release_version.name"))) return std::nullopt;
  }
  if (r.jql.empty()) {
    fail(out, "jql rendered empty; Jira refuses an unbounded search");
    return std::nullopt;
  }
  return r;
}

// 1. Every issue the JQL finds, all pages (Cloud: nextPageToken; DC: startAt).
net::awaitable<std::optional<std::vector<Issue>>> search_all(const Api& api, Services& s, Outcome& out,
                                                             const std::string& jql) {
  std::vector<Issue> issues;
  std::string token;
  for (int page = 0; page < kMaxPages; ++page) {
    json body = {{"jql", jql}, {"fields", {"key", "status"}}, {"maxResults", kPageSize}};
    if (api.cloud && !token.empty()) body["nextPageToken"] = token;
    if (!api.cloud) body["startAt"] = static_cast<int>(issues.size());
    auto page_answer = co_await jira_api::search_page(api, s, out, body);
    if (!page_answer) co_return std::nullopt;
    json& j = *page_answer;
    for (const auto& i : j["issues"]) {
      Issue is{i.value("key", i.value("id", std::string())), ""};
      if (i.contains("fields") && i["fields"].contains("status")) is.status = i["fields"]["status"].value("name", "");
      issues.push_back(is);
    }
    if (j["issues"].empty()) break;
    if (api.cloud) {
      if (j.value("isLast", true) || !j.contains("nextPageToken") || !j["nextPageToken"].is_string()) break;
      token = j["nextPageToken"].get<std::string>();
    } else if (static_cast<int>(issues.size()) >= j.value("total", 0)) {
      break;
    }
  }
  co_return issues;
}

// The issue's transition matching `wanted`: by id, then by transition name,
// then by target status name; null when none.
const json* find_transition(const json& list, const std::string& wanted) {
  for (const auto& t : list)
    if (is_number(wanted) && t.value("id", "") == wanted) return &t;
  for (const auto& t : list)
    if (iequals(t.value("name", ""), wanted)) return &t;
  for (const auto& t : list)
    if (t.contains("to") && iequals(t["to"].value("name", ""), wanted)) return &t;
  return nullptr;
}

struct Counts {
  int transitioned = 0, skipped = 0, commented = 0;
  std::vector<std::string> notes;
};

// 2a. One issue's transition; `state["transition"]` says what happened
// (skipped when already there or no such transition). False when a call failed.
net::awaitable<bool> transition_issue(const Api& api, Services& s, Outcome& out, const Issue& issue,
                                      const std::string& wanted, json& state, Counts& counts) {
  auto res = co_await api.call(s, out, "GET", "/issue/" + segment(issue.key) + "/transitions", nullptr);
  if (!res) co_return false;
  auto j = json::parse(res->body, nullptr, false);
  const json list = j.is_object() && j.contains("transitions") ? j["transitions"] : json::array();
  const json* match = find_transition(list, wanted);
  const std::string target = match && match->contains("to") ? (*match)["to"].value("name", wanted) : wanted;
  if (!issue.status.empty() && (iequals(issue.status, target) || iequals(issue.status, wanted))) {
    state["transition"] = "skipped: already " + issue.status;
    ++counts.skipped;
  } else if (!match) {
    state["transition"] = "skipped: no transition \"" + wanted + "\" from " +
                          (issue.status.empty() ? std::string("its status") : issue.status);
    ++counts.skipped;
  } else {
    json body = {{"transition", {{"id", match->value("id", "")}}}};
    if (!co_await api.call(s, out, "POST", "/issue/" + segment(issue.key) + "/transitions", &body)) co_return false;
    state["transition"] = "→ " + target;
    ++counts.transitioned;
  }
  counts.notes.push_back(issue.key + " " + state["transition"].get<std::string>());
  co_return true;
}

// 3. The version: released today (already released is success). False when
// it failed (`out` says why).
net::awaitable<bool> release_version(const Api& api, Services& s, Outcome& out, const std::string& project,
                                     const std::string& version, json& progress) {
  auto res = co_await api.call(s, out, "GET", "/project/" + segment(project) + "/versions", nullptr);
  if (!res) co_return false;
  auto list = json::parse(res->body, nullptr, false);
  const json* found = nullptr;
  if (list.is_array())
    for (const auto& v : list)
      if (v.value("name", "") == version) found = &v;
  if (!found) {
    fail(out, "Jira project " + project + " has no version named \"" + version + "\"");
    co_return false;
  }
  if (found->value("released", false)) {
    progress["version"] = "already released";
    co_return true;
  }
  json body = {{"released", true}, {"releaseDate", format_utc(s.clock.now_ms(), "%Y-%m-%d")}};
  const json id_value = found->value("id", json(""));
  std::string id = id_value.is_string() ? id_value.get<std::string>() : id_value.dump();
  if (!co_await api.call(s, out, "PUT", "/version/" + segment(id), &body)) co_return false;
  progress["version"] = "released";
  co_return true;
}

}  // namespace

net::awaitable<Outcome> run_jira(const Job& job, const config::JiraAction& a, Services& s) {
  if (a.create) co_return co_await run_jira_create(job, a, s);
  Outcome out;
  const auto* conn = connection(job.config.connections.jira, a.connection, "jira", out);
  if (!conn) co_return out;
  const Api api = make_api(*conn, job.config.delivery.timeout);
  const auto r = render_all(job, a, out);
  if (!r) co_return out;

  // Progress per job: a retry after a failure half-way repeats nothing done.
  const std::string progress_key = "progress:" + std::to_string(job.id);
  json progress = json::object();
  if (auto p = co_await s.kv.get(progress_key)) progress = json::parse(*p, nullptr, false);
  if (!progress.is_object()) progress = json::object();
  auto& done = progress["issues"];
  if (!done.is_object()) done = json::object();

  auto issues = co_await search_all(api, s, out, r->jql);
  if (!issues) co_return out;
  Counts counts;  // 2. Each issue: transition, then comment.
  for (const auto& issue : *issues) {
    json& state = done[issue.key];
    if (!state.is_object()) state = json::object();
    bool ok = true;
    if (r->transition && !state.contains("transition"))
      ok = co_await transition_issue(api, s, out, issue, *r->transition, state, counts);
    // With a transition, only the issues it moved get the comment: one it
    // skipped (already Done, no such transition) did not change.
    const bool moved = !r->transition ||
                       (state.contains("transition") && state["transition"].get<std::string>().rfind("→", 0) == 0);
    if (ok && r->comment && moved && !state.contains("comment")) {
      json body = comment_body(api.cloud, *r->comment);
      ok = (co_await api.call(s, out, "POST", "/issue/" + segment(issue.key) + "/comment", &body)).has_value();
      if (ok) {
        state["comment"] = true;
        ++counts.commented;
      }
    }
    if (!ok || r->transition || r->comment) co_await s.kv.put(progress_key, progress.dump());
    if (!ok) co_return out;  // what is done so far is kept; the failure is reported
  }
  if (r->project && r->version && !progress.contains("version")) {
    if (!co_await release_version(api, s, out, *r->project, *r->version, progress)) co_return out;
    co_await s.kv.put(progress_key, progress.dump());
    counts.notes.push_back("version " + *r->version + " " + progress["version"].get<std::string>());
  }
  out.detail = std::to_string(issues->size()) + " issue(s)";
  if (r->transition)
    out.detail += ", " + std::to_string(counts.transitioned) + " transitioned, " + std::to_string(counts.skipped) + " skipped";
  if (r->comment) out.detail += ", " + std::to_string(counts.commented) + " commented";
  for (const auto& n : counts.notes) out.detail += "; " + n;
  if (out.detail.size() > 2000) out.detail = out.detail.substr(0, 2000) + "…";
  co_return out;
}

}  // namespace asc_webhookd::actions::detail
