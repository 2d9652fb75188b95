// Slack `attach:` — each feedback file uploaded with Slack's external upload
// (files.upload is retired): files.getUploadURLExternal (form-encoded: Slack
// refuses JSON there) → the bytes POSTed to the upload URL →
// files.completeUploadExternal with the channel ID and the thread's ts
// (Slack's "files.getUploadURLExternal" and "files.completeUploadExternal").
#include "asc_webhookd/integrations/slack/run.hpp"

#include "asc_webhookd/integrations/common/feedback_files.hpp"
#include "asc_webhookd/outbound/request_check.hpp"

namespace asc_webhookd::actions::detail {

using nlohmann::json;
namespace net = boost::asio;

namespace {

std::string form(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) out += (out.empty() ? "" : "&") + k + "=" + outbound::encode_component(v);
  return out;
}

outbound::ClientRequest form_request(const config::SlackConnection& c, const std::string& method, std::string body,
                                     const Job& job) {
  return bot_call(c, method, "application/x-www-form-urlencoded", std::move(body), job);
}

// One file: an upload ticket, the bytes, the share. False when a call failed.
net::awaitable<bool> post_file(const Job& job, const config::SlackConnection& conn, Services& s, Outcome& out,
                               const AttachedFile& file, const std::string& channel_id, const std::string& thread_ts) {
  auto ticket_req = form_request(conn, "files.getUploadURLExternal",
                                 form({{"filename", file.name}, {"length", std::to_string(file.bytes.size())}}), job);
  auto ticket = co_await send(s, out, std::move(ticket_req), slack_api_policy());
  if (!ticket) co_return false;
  const json answer = json::parse(ticket->body, nullptr, false);
  auto member = [&](const char* key) {  // "" when absent or not a string
    return answer.is_object() && answer.contains(key) && answer[key].is_string() ? answer[key].get<std::string>() : "";
  };
  const std::string url = member("upload_url"), id = member("file_id");
  if (url.empty() || id.empty()) {
    retry_later(out, "slack: files.getUploadURLExternal answered without upload_url and file_id");
    co_return false;
  }
  outbound::ClientRequest upload;
  upload.method = "POST";
  upload.url = url;
  upload.timeout = job.config.delivery.timeout;
  upload.headers = {{"Content-Type", file.content_type}};
  upload.body = file.bytes;
  upload.shown_body = "(" + std::to_string(file.bytes.size()) + " bytes of " + file.name + ")";
  upload.secrets.push_back(url);  // the upload URL is itself the permission to upload
  if (!co_await send(s, out, std::move(upload), outbound::kPlainHttp, ShowTarget::host)) co_return false;
  std::vector<std::pair<std::string, std::string>> share = {
      {"files", json::array({{{"id", id}, {"title", file.name}}}).dump()}, {"channel_id", channel_id}};
  if (!thread_ts.empty()) share.emplace_back("thread_ts", thread_ts);
  auto complete = form_request(conn, "files.completeUploadExternal", form(share), job);
  co_return (co_await send(s, out, std::move(complete), slack_api_policy())).has_value();
}

}  // namespace

net::awaitable<bool> post_files(const Job& job, const config::SlackAction& a, const config::SlackConnection& conn,
                                Services& s, Outcome& out, json& progress, const std::string& progress_key,
                                const std::string& channel_id, const std::string& thread_ts) {
  if (!conn.bot_token) co_return true;  // check-config refuses attach on an incoming webhook
  auto files = co_await feedback_files(job, s, out, a.attach);
  if (!files) co_return false;
  json& done = progress["files"];
  if (!done.is_array()) done = json::array();
  std::string posted;
  for (const auto& file : *files) {
    if (std::find(done.begin(), done.end(), json(file.name)) != done.end()) continue;
    if (!co_await post_file(job, conn, s, out, file, channel_id, thread_ts)) co_return false;
    done.push_back(file.name);
    co_await s.kv.put(progress_key, progress.dump());
    posted += (posted.empty() ? "" : ", ") + file.name;
  }
  if (!posted.empty()) out.detail += "; files " + posted;
  succeed(out);
  co_return true;
}

}  // namespace asc_webhookd::actions::detail
