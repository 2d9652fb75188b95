// GitHub `issue:` — an issue made once per submission and repository
// (ticket_once: recorded, and found again by its marker label
// `asc-feedback-<id>` in the repository's issues listed by that label, a
// listing GitHub serves consistently where its search lags). The body is
// Markdown: the rendered body or the feedback's lines, the screenshots as
// links that expire, the crash log in a fenced block cut to fit GitHub's
// 65,536-character body limit (its head and tail kept), and a hidden marker
// line (GitHub's REST API, "Issues").
#include "asc_webhookd/integrations/github/run.hpp"

#include "asc_webhookd/integrations/common/feedback_files.hpp"
#include "asc_webhookd/integrations/common/notice.hpp"
#include "asc_webhookd/integrations/common/ticket_once.hpp"
#include "asc_webhookd/outbound/request_check.hpp"

#include <algorithm>

namespace asc_webhookd::actions::detail {

using nlohmann::json;
namespace net = boost::asio;

namespace {

using Limits = config::GithubLimits;
constexpr std::size_t kTitleMax = 256;

bool continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// A fence longer than any run of backticks in the text, so the log cannot close it.
std::string fence_for(const std::string& text) {
  std::size_t longest = 0, run = 0;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return std::string(std::max<std::size_t>(3, longest + 1), '`');
}

// The log within `budget` bytes (bytes are never fewer than characters): its
// head and tail, with a line saying what was cut between them.
std::string fitted_log(const std::string& log, std::size_t budget) {
  if (log.size() <= budget) return log;
  const std::string note_template = "\n… 0000000000 bytes of the crash log cut here …\n";
  const std::size_t keep = budget > note_template.size() ? (budget - note_template.size()) / 2 : 0;
  std::size_t head = keep;
  while (head > 0 && continuation(log[head])) --head;
  std::size_t tail = log.size() - keep;
  while (tail < log.size() && continuation(log[tail])) ++tail;
  return log.substr(0, head) + "\n… " + std::to_string(tail - head) + " bytes of the crash log cut here …\n" +
         log.substr(tail);
}

std::string screenshot_links(const json& context) {
  const auto fb = context.find("feedback");
  if (fb == context.end() || !fb->is_object() || !fb->contains("screenshots") || (*fb)["screenshots"].empty()) return "";
  std::string out = "\n\n**Screenshots** (Apple's links expire; the files are not kept here)\n";
  int n = 0;
  for (const auto& shot : (*fb)["screenshots"]) {
    out += "- [Screenshot " + std::to_string(++n) + "](" + shot.value("url", "") + ")";
    const std::string expires = shot.value("expires", "");
    if (!expires.empty()) out += " — expires " + expires;
    out += "\n";
  }
  return out;
}

std::string issue_body(const Job& job, const std::optional<std::string>& rendered, const std::string& marker) {
  std::string body = "<!-- asc-webhookd " + marker + " -->\n";
  if (rendered) {
    body += *rendered;
  } else {
    for (const auto& line : feedback_lines(job.context)) body += line + "  \n";  // Markdown line breaks
  }
  body += screenshot_links(job.context);
  const auto fb = job.context.find("feedback");
  const std::string log = fb != job.context.end() && fb->is_object() ? fb->value("crash_log", std::string()) : "";
  if (log.empty()) return truncate_utf8(body, Limits::max_issue_body);
  const std::string fence = fence_for(log);
  const std::string open = "\n\n**Crash log**\n\n" + fence + "\n", close = "\n" + fence + "\n";
  const std::size_t used = body.size() + open.size() + close.size() + 64;  // 64: margin for how GitHub counts
  if (used >= Limits::max_issue_body) return truncate_utf8(body, Limits::max_issue_body);
  return body + open + fitted_log(log, Limits::max_issue_body - used) + close;
}

struct Repo {
  const config::GithubConnection& conn;
  std::string repo;
  std::string token;
  Duration timeout;

  outbound::ClientRequest request(const std::string& method, const std::string& path) const {
    outbound::ClientRequest req;
    req.method = method;
    req.url = conn.api_url + "/repos/" + repo + path;
    req.timeout = timeout;
    github_headers(req, token);
    return req;
  }
};

// The repository's issue labelled with the marker ("" when none); pull
// requests, which the listing includes, are not issues.
net::awaitable<std::optional<std::string>> find_marked(const Repo& r, Services& s, Outcome& out, const std::string& marker) {
  auto req = r.request("GET", "/issues?labels=" + outbound::encode_component(marker) + "&state=all&per_page=100");
  auto res = co_await send(s, out, std::move(req), github_policy());
  if (!res) co_return std::nullopt;
  auto list = json::parse(res->body, nullptr, false);
  if (!list.is_array()) {
    retry_later(out, "GitHub listed the issues in an answer that is not a list");
    co_return std::nullopt;
  }
  for (const auto& issue : list)
    if (issue.is_object() && !issue.contains("pull_request") && issue.contains("number") && issue["number"].is_number_integer())
      co_return std::to_string(issue["number"].get<std::int64_t>());
  co_return std::string();
}

net::awaitable<std::optional<std::string>> create_issue(const Repo& r, Services& s, Outcome& out, const std::string& title,
                                                        const std::string& body, json labels) {
  auto req = r.request("POST", "/issues");
  req.send_once = true;  // an answer lost after GitHub acted: searched for, never re-sent blind
  req.headers.emplace_back("Content-Type", "application/json");
  req.body = json{{"title", title}, {"body", body}, {"labels", std::move(labels)}}.dump();
  auto res = co_await send(s, out, std::move(req), github_policy());
  if (!res) co_return std::nullopt;
  auto j = json::parse(res->body, nullptr, false);
  if (!j.is_object() || !j.contains("number") || !j["number"].is_number_integer()) {
    retry_later(out, "GitHub answered the create without the issue's number");
    co_return std::nullopt;
  }
  co_return std::to_string(j["number"].get<std::int64_t>());
}

}  // namespace

net::awaitable<Outcome> run_github_issue(const Job& job, const config::GithubAction& a, Services& s) {
  Outcome out;
  const auto* conn = connection(job.config.connections.github, a.connection, "github", out);
  if (!conn) co_return out;
  const config::GithubIssue& spec = *a.issue;
  auto title = render(spec.title, job, out, "issue.title");
  if (!title) co_return out;
  std::optional<std::string> rendered_body;
  if (spec.body && !(rendered_body = render(*spec.body, job, out, "issue.body"))) co_return out;
  std::replace_if(title->begin(), title->end(), [](char ch) { return ch == '\n' || ch == '\r'; }, ' ');
  if (title->empty()) *title = "App Store Connect: " + job.event.type_name;
  const std::string marker = ticket_marker(job);
  const std::string body = issue_body(job, rendered_body, marker);
  json labels = spec.labels;
  labels.push_back(marker);

  auto token = co_await github_token(*conn, a.connection, s, job, out);
  if (!token) co_return out;
  const Repo repo{*conn, spec.repo, *token, job.config.delivery.timeout};
  Progress progress = co_await Progress::load(job, s);
  const std::string cut_title = truncate_utf8(*title, kTitleMax);
  TicketWays ways;
  ways.find = [&](Outcome& o) { return find_marked(repo, s, o, marker); };
  ways.create = [&](Outcome& o) { return create_issue(repo, s, o, cut_title, body, labels); };
  const std::string destination = "github|" + a.connection + "|" + conn->api_url + "|" + spec.repo;
  const auto ticket = co_await ticket_once(s, out, progress, destination, marker, ways);
  if (!ticket) co_return out;
  out.detail = spec.repo + "#" + ticket->key + " " + ticket->how;
  succeed(out);
  co_return out;
}

}  // namespace asc_webhookd::actions::detail
