// What every action kind shares: dispatch, template rendering, reading a
// service's error text, and showing a request with its credentials masked.
#include "asc_webhookd/actions/action.hpp"

#include "asc_webhookd/http/request_check.hpp"
#include "asc_webhookd/rules/template.hpp"

#include <strings.h>

namespace asc_webhookd::actions {

using nlohmann::json;

std::optional<std::string> TokenCache::get(const std::string& key, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  auto it = tokens_.find(key);
  if (it == tokens_.end() || it->second.second - 5 * 60 * 1000 <= now_ms) return std::nullopt;
  return it->second.first;
}

void TokenCache::put(const std::string& key, std::string token, std::int64_t expires_ms) {
  std::lock_guard lock(mutex_);
  tokens_[key] = {std::move(token), expires_ms};
}

void TokenCache::drop(const std::string& key) {
  std::lock_guard lock(mutex_);
  tokens_.erase(key);
}

std::string redact_url(const std::string& url) {
  auto scheme = url.find("://");
  if (scheme == std::string::npos) return "<url>";
  auto path = url.find('/', scheme + 3);
  std::string host = url.substr(0, path);
  if (auto at = host.find('@'); at != std::string::npos) host = url.substr(0, scheme + 3) + host.substr(at + 1);
  return host;
}

std::string mask(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& s : secrets) {
    if (s.size() < 4) continue;  // masking "a" everywhere would hide the request, not the secret
    for (auto pos = text.find(s); pos != std::string::npos; pos = text.find(s, pos + 10))
      text.replace(pos, s.size(), "<redacted>");
  }
  return text;
}

std::string describe(const http::ClientRequest& r) {
  std::string url = r.url;
  for (const auto& s : r.secrets)
    if (s == r.url) url = redact_url(r.url) + "/<redacted>";  // a Slack webhook: the path is the secret
  std::string out = r.method + " " + mask(url, r.secrets) + "\n";
  for (const auto& [k, v] : r.headers) {
    std::string value = mask(v, r.secrets);
    if (strcasecmp(k.c_str(), "authorization") == 0) {
      auto sp = v.find(' ');
      value = (sp == std::string::npos ? "" : v.substr(0, sp + 1)) + "<redacted>";
    }
    out += k + ": " + value + "\n";
  }
  if (!r.body.empty()) {
    auto j = json::parse(r.body, nullptr, false);
    out += "\n" + mask(j.is_discarded() ? r.body : j.dump(2), r.secrets) + "\n";
  }
  return out;
}

std::string service_message(const std::string& body) {
  auto j = json::parse(body, nullptr, false);
  std::string msg;
  if (j.is_object()) {
    if (auto m = j.find("message"); m != j.end() && m->is_string()) msg = m->get<std::string>();  // GitHub, Discord, GitLab
    else if (m != j.end() && m->is_object())  // GitLab's model errors: {"base": ["Reference not found"]}
      for (const auto& [k, v] : m->items()) {
        std::string values;
        if (v.is_array())
          for (const auto& e : v) values += (values.empty() ? "" : ", ") + (e.is_string() ? e.get<std::string>() : e.dump());
        else values = v.is_string() ? v.get<std::string>() : v.dump();
        msg += (msg.empty() ? "" : "; ") + (k == "base" ? "" : k + ": ") + values;
      }
    if (auto e = j.find("error"); e != j.end() && e->is_string()) msg = e->get<std::string>();    // Slack
    if (auto em = j.find("errorMessages"); em != j.end() && em->is_array())                       // Jira
      for (const auto& m : *em)
        if (m.is_string()) msg += (msg.empty() ? "" : "; ") + m.get<std::string>();
    if (auto er = j.find("errors"); er != j.end()) {
      if (er->is_object())
        for (const auto& [k, v] : er->items()) msg += (msg.empty() ? "" : "; ") + k + ": " + (v.is_string() ? v.get<std::string>() : v.dump());
      else if (er->is_array() && msg.empty() && !er->empty() && (*er)[0].is_object() && (*er)[0].contains("title"))
        for (const auto& e : *er) {  // App Store Connect (JSON:API): code, title, detail
          // A field of another type (a number, an object) is shown as JSON,
          // never thrown on: this reads answers from outside (found by fuzzing).
          auto field = [&e](const char* k) -> std::string {
            if (!e.is_object()) return "";
            auto it = e.find(k);
            if (it == e.end() || it->is_null()) return "";
            return it->is_string() ? it->get<std::string>() : it->dump();
          };
          const std::string code = field("code"), title = field("title"), detail = field("detail");
          msg += (msg.empty() ? "" : "; ") + (code.empty() ? "" : code + ": ") + title + (detail.empty() ? "" : " " + detail);
        }
      else if (er->is_array() && msg.empty())
        msg = er->dump();  // GitHub validation errors, Slack invalid_blocks details
    }
  }
  if (msg.empty()) msg = body;
  for (auto& c : msg)
    if (c == '\n' || c == '\r') c = ' ';
  if (msg.size() > 300) msg = msg.substr(0, 300) + "…";
  return msg;
}

namespace {

// Slack's Web API answers most errors with HTTP 200 and {"ok":false,
// "error":...}: final, except rate limits (outbound-apis.md §2; DESIGN.md §6).
std::optional<http::BodyError> slack_ok_false(const http::AttemptResult& r) {
  auto j = json::parse(r.body, nullptr, false);
  if (!j.is_object()) return http::BodyError{"slack: the answer is not JSON", true, std::chrono::seconds(1)};
  if (j.value("ok", false) == true) return std::nullopt;
  const std::string err = j.value("error", std::string("ok:false"));
  const bool limited = err == "ratelimited" || err == "rate_limited";
  return http::BodyError{"slack: " + err, limited, std::chrono::seconds(1)};
}

}  // namespace

const http::RetryPolicy& github_policy() {
  static const http::RetryPolicy p{{}, true, nullptr};
  return p;
}

const http::RetryPolicy& slack_api_policy() {
  static const http::RetryPolicy p{{}, false, &slack_ok_false};
  return p;
}

const http::RetryPolicy& jira_policy() {
  static const http::RetryPolicy p{{409}, false, nullptr};  // 409: a concurrent transition; the next try sees it
  return p;
}

void fail(Outcome& out, std::string reason) {
  out.result.error = reason;
  out.decision = http::final_decision(std::move(reason));
}

void retry_later(Outcome& out, std::string reason) {
  out.result.error = reason;
  out.decision = http::retry_decision(std::move(reason));
}

namespace detail {

std::optional<std::string> render(const config::Template& t, const Job& job, Outcome& out, const std::string& what,
                                  rules::Escape escape) {
  auto r = rules::render(t.text, job.context, escape);
  if (!r) {
    fail(out, what + " template: " + r.error().message);
    return std::nullopt;
  }
  return *r;
}

std::optional<json> chat_message(const std::optional<config::Template>& text, const Job& job, Outcome& out,
                                 json (*from_text)(const std::string&), json (*builtin)(const json& context)) {
  if (!text) return builtin(job.context);
  auto t = render(*text, job, out, "text");
  if (!t) return std::nullopt;
  return from_text(*t);
}

std::optional<json> render_tree(const json& tree, const Job& job, Outcome& out, const std::string& what) {
  if (tree.is_string()) {
    auto s = render(config::Template{tree.get<std::string>(), {}}, job, out, what);
    if (!s) return std::nullopt;
    return json(*s);
  }
  if (tree.is_object() || tree.is_array()) {
    json copy = tree;
    for (auto it = copy.begin(); it != copy.end(); ++it) {
      auto v = render_tree(*it, job, out, what);
      if (!v) return std::nullopt;
      *it = std::move(*v);
    }
    return copy;
  }
  return tree;
}

http::ClientRequest webhook_post(const Job& job, const std::string& url, const json& body) {
  http::ClientRequest req;
  req.method = "POST";
  req.url = url;
  req.secrets.push_back(url);
  req.timeout = job.config.delivery.timeout;
  req.headers = {{"Content-Type", "application/json"}};
  req.body = body.dump();
  return req;
}

boost::asio::awaitable<std::optional<http::ClientResponse>> send(Services& s, Outcome& out, http::ClientRequest req,
                                                                const http::RetryPolicy& policy, ShowTarget show) {
  if (auto problem = http::request_problem(req); !problem.empty()) {
    out.target = req.method + " " + redact_url(req.url);
    out.result = {};
    fail(out, problem + "; the request was not sent");
    co_return std::nullopt;
  }
  out.target = req.method + " " + (show == ShowTarget::host ? redact_url(req.url) : req.url);
  auto r = co_await s.http.send(std::move(req));
  out.result = {};
  if (r) {
    out.result.status = r->status;
    out.result.headers = r->headers;
    out.result.body = r->body;
    if (r->status >= 300) out.result.error = service_message(r->body);
  } else {
    out.result.error = r.error().message;
  }
  out.decision = http::decide(policy, out.result, s.clock.now_ms());
  if (out.decision.verdict != http::Verdict::success) co_return std::nullopt;
  co_return std::move(*r);
}

}  // namespace detail

boost::asio::awaitable<Outcome> run(const Job& job, Services& s) {
  // Named before co_await (GCC 12: no lambdas inside co_await expressions).
  if (const auto* a = std::get_if<config::HttpAction>(&job.action)) co_return co_await detail::run_http(job, *a, s);
  if (const auto* a = std::get_if<config::GithubAction>(&job.action)) co_return co_await detail::run_github(job, *a, s);
  if (const auto* a = std::get_if<config::SlackAction>(&job.action)) co_return co_await detail::run_slack(job, *a, s);
  if (const auto* a = std::get_if<config::JiraAction>(&job.action)) co_return co_await detail::run_jira(job, *a, s);
  if (const auto* a = std::get_if<config::TeamsAction>(&job.action)) co_return co_await detail::run_teams(job, *a, s);
  if (const auto* a = std::get_if<config::DiscordAction>(&job.action)) co_return co_await detail::run_discord(job, *a, s);
  const auto& gitlab = std::get<config::GitlabAction>(job.action);
  co_return co_await detail::run_gitlab(job, gitlab, s);
}

}  // namespace asc_webhookd::actions
