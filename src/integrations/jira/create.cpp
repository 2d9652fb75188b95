// Jira `create:` — an issue made once per submission and project
// (ticket_once: recorded, found again by its marker label
// `asc-feedback-<id>`), its description as ADF (Cloud) or wiki text (Data
// Center), then the feedback's files attached, each once: multipart with the
// part name `file` and `X-Atlassian-Token: no-check` (Jira's REST API,
// "Issues" and "Issue attachments"). A file over the site's attachment limit
// (GET /attachment/meta), or one Jira refuses with 413, is named in the issue
// instead.
#include "api.hpp"

#include "asc_webhookd/integrations/common/feedback_files.hpp"
#include "asc_webhookd/integrations/common/notice.hpp"
#include "asc_webhookd/integrations/common/ticket_once.hpp"

#include <algorithm>

namespace asc_webhookd::actions::detail {

using nlohmann::json;
namespace net = boost::asio;

namespace {

using jira_api::Api;
using jira_api::segment;

constexpr std::size_t kSummaryMax = 255;          // Jira refuses longer summaries
constexpr std::size_t kDescriptionMax = 32'000;   // Cloud refuses over 32,767 characters

struct Fields {
  std::string project, issue_type, summary, description;
  std::vector<std::string> labels;
};

// A string member of an answer, "" when absent or of another type (an
// answer shaped unlike Jira documents is not an internal error).
std::string string_at(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

bool all_digits(const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; }

std::optional<Fields> render_fields(const Job& job, const config::JiraCreate& c, Outcome& out) {
  Fields f;
  auto project = render(c.project, job, out, "create.project");
  auto type = project ? render(c.issue_type, job, out, "create.issue_type") : std::nullopt;
  auto summary = type ? render(c.summary, job, out, "create.summary") : std::nullopt;
  if (!summary) return std::nullopt;
  f.project = *project;
  f.issue_type = *type;
  if (f.project.empty() || f.issue_type.empty()) {
    fail(out, "create.project and create.issue_type must not render empty");
    return std::nullopt;
  }
  // A summary is one line (Jira refuses line breaks in it) of at most 255 characters.
  f.summary = *summary;
  std::replace_if(f.summary.begin(), f.summary.end(), [](char ch) { return ch == '\n' || ch == '\r'; }, ' ');
  if (f.summary.empty()) f.summary = "App Store Connect: " + job.event.type_name;
  f.summary = truncate_utf8(f.summary, kSummaryMax);
  if (c.description) {
    auto d = render(*c.description, job, out, "create.description");
    if (!d) return std::nullopt;
    f.description = *d;
  } else {
    for (const auto& line : feedback_lines(job.context)) f.description += (f.description.empty() ? "" : "\n") + line;
  }
  f.labels = c.labels;
  return f;
}

std::string jql_string(const std::string& s) {
  std::string q = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') q += '\\';
    q += ch;
  }
  return q + "\"";
}

// The project's issue labelled with the marker ("" when none).
net::awaitable<std::optional<std::string>> find_marked(const Api& api, Services& s, Outcome& out, const std::string& project,
                                                       const std::string& marker) {
  const json body = {{"jql", "project = " + jql_string(project) + " AND labels = " + jql_string(marker)},
                     {"fields", {"key"}},
                     {"maxResults", 1}};
  auto j = co_await jira_api::search_page(api, s, out, body);
  if (!j) co_return std::nullopt;
  if ((*j)["issues"].empty()) co_return std::string();
  co_return string_at((*j)["issues"][0], "key");
}

net::awaitable<std::optional<std::string>> create_issue(const Api& api, Services& s, Outcome& out, const Fields& f,
                                                        const std::string& marker, const std::vector<std::string>& notes) {
  std::string description = truncate_utf8(f.description, kDescriptionMax);
  for (const auto& n : notes) description += (description.empty() ? "" : "\n") + n;
  json labels = f.labels;
  labels.push_back(marker);
  json fields = {{"project", {{all_digits(f.project) ? "id" : "key", f.project}}},
                 {"issuetype", {{all_digits(f.issue_type) ? "id" : "name", f.issue_type}}},
                 {"summary", f.summary},
                 {"labels", labels}};
  if (!description.empty()) fields["description"] = jira_api::rich_text(api.cloud, description);
  const json body = {{"fields", fields}};
  auto req = api.request("POST", "/issue", &body);
  req.send_once = true;  // an answer lost after Jira acted: searched for, never re-sent blind
  auto res = co_await send(s, out, std::move(req), jira_policy());
  if (!res) co_return std::nullopt;
  auto j = json::parse(res->body, nullptr, false);
  if (!j.is_object() || !j.contains("key") || !j["key"].is_string()) {
    retry_later(out, "Jira answered the create without the issue's key");
    co_return std::nullopt;
  }
  co_return j["key"].get<std::string>();
}

// The site's attachment limit in bytes (nullopt: unknown, the upload's 413
// decides); 0 when attachments are off.
net::awaitable<std::optional<std::int64_t>> upload_limit(const Api& api, Services& s) {
  Outcome ignored;  // best effort: without it, Jira's 413 still names what did not fit
  auto res = co_await api.call(s, ignored, "GET", "/attachment/meta", nullptr);
  if (!res) co_return std::nullopt;
  auto j = json::parse(res->body, nullptr, false);
  if (!j.is_object()) co_return std::nullopt;
  if (j.contains("enabled") && j["enabled"].is_boolean() && !j["enabled"].get<bool>()) co_return 0;
  if (j.contains("uploadLimit") && j["uploadLimit"].is_number_integer()) co_return j["uploadLimit"].get<std::int64_t>();
  co_return std::nullopt;
}

// The names of the files the issue has already (an earlier job's, or an
// attempt that failed after the upload).
net::awaitable<std::optional<std::vector<std::string>>> attached_names(const Api& api, Services& s, Outcome& out,
                                                                       const std::string& key) {
  auto res = co_await api.call(s, out, "GET", "/issue/" + segment(key) + "?fields=attachment", nullptr);
  if (!res) co_return std::nullopt;
  std::vector<std::string> names;
  auto j = json::parse(res->body, nullptr, false);
  const json::json_pointer list("/fields/attachment");
  if (j.is_object() && j.contains(list) && j.at(list).is_array())
    for (const auto& a : j.at(list)) names.push_back(string_at(a, "filename"));
  co_return names;
}

outbound::ClientRequest attachment_request(const Api& api, const std::string& key, const AttachedFile& file) {
  outbound::ClientRequest req = api.request("POST", "/issue/" + segment(key) + "/attachments", nullptr);
  auto [body, boundary] = multipart_body({&file}, "file");
  req.headers.emplace_back("X-Atlassian-Token", "no-check");  // else Jira's XSRF check refuses it
  req.headers.emplace_back("Content-Type", "multipart/form-data; boundary=" + boundary);
  req.body = std::move(body);
  req.shown_body = "multipart/form-data: file \"" + file.name + "\" (" + file.content_type + ", " +
                   std::to_string(file.bytes.size()) + " bytes)";
  return req;
}

bool listed(const json& list, const std::string& name) {
  return list.is_array() && std::find(list.begin(), list.end(), json(name)) != list.end();
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

}  // namespace

net::awaitable<Outcome> run_jira_create(const Job& job, const config::JiraAction& a, Services& s) {
  Outcome out;
  const auto* conn = connection(job.config.connections.jira, a.connection, "jira", out);
  if (!conn) co_return out;
  const Api api = jira_api::make_api(*conn, job.config.delivery.timeout);
  const auto fields = render_fields(job, *a.create, out);
  if (!fields) co_return out;
  Progress progress = co_await Progress::load(job, s);
  const std::string marker = ticket_marker(job);

  // The files first: what does not fit is named in the issue it makes.
  std::vector<AttachedFile> files;
  std::vector<std::string> notes, skipped;
  if (!a.attach.empty() && !progress.value.value("files_done", false)) {
    auto got = co_await feedback_files(job, s, out, a.attach);
    if (!got) co_return out;
    files = std::move(*got);
  }
  if (!files.empty()) {
    const auto limit = co_await upload_limit(api, s);
    for (auto it = files.begin(); it != files.end();) {
      if (!limit || static_cast<std::int64_t>(it->bytes.size()) <= *limit) {
        ++it;
        continue;
      }
      const std::string why = *limit == 0 ? "attachments are turned off on this Jira"
                                          : "over this Jira's attachment limit of " + size_text(static_cast<std::size_t>(*limit));
      notes.push_back("Not attached: " + file_label(it->name, it->bytes.size()) + ", " + why + ".");
      skipped.push_back(it->name);
      it = files.erase(it);
    }
  }

  const std::string destination = "jira|" + a.connection + "|" + conn->base_url + "|" + fields->project;
  TicketWays ways;
  ways.find = [&](Outcome& o) { return find_marked(api, s, o, fields->project, marker); };
  ways.create = [&](Outcome& o) { return create_issue(api, s, o, *fields, marker, notes); };
  const auto ticket = co_await ticket_once(s, out, progress, destination, marker, ways);
  if (!ticket) co_return out;

  std::vector<std::string> attached;
  if (!files.empty()) {
    auto present = co_await attached_names(api, s, out, ticket->key);
    if (!present) co_return out;
    for (const auto& file : files) {
      if (listed(progress.value["attached"], file.name) ||
          std::find(present->begin(), present->end(), file.name) != present->end())
        continue;  // attached by an earlier attempt or job
      auto req = attachment_request(api, ticket->key, file);
      if (!co_await send(s, out, std::move(req), jira_policy())) {
        if (out.result.status != 413u) co_return out;  // kept: what is attached so far
        // Over a limit Jira did not advertise: said in the issue instead.
        const std::string note = "Not attached: " + file_label(file.name, file.bytes.size()) +
                                 ", Jira refused it as too large (413).";
        const json comment = {{"body", jira_api::rich_text(api.cloud, note)}};
        if (!co_await api.call(s, out, "POST", "/issue/" + segment(ticket->key) + "/comment", &comment)) co_return out;
        skipped.push_back(file.name);
      } else {
        attached.push_back(file.name);
      }
      progress.value["attached"].push_back(file.name);
      co_await progress.save(s);
    }
  }
  if (!a.attach.empty()) {
    progress.value["files_done"] = true;
    co_await progress.save(s);
  }
  out.detail = ticket->key + " " + ticket->how;
  if (!attached.empty()) out.detail += "; attached " + joined(attached);
  if (!skipped.empty()) out.detail += "; not attached (too large) " + joined(skipped);
  succeed(out);
  co_return out;
}

}  // namespace asc_webhookd::actions::detail
