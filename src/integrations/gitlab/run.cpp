// GitLab pipeline triggers (GitLab's "Trigger a pipeline with a token"): POST
// {api_url}/projects/{id or url-encoded path}/trigger/pipeline with the
// trigger token, ref and string variables. 201 gives the pipeline, whose
// web_url is kept in the attempt's detail. 400 (Reference not found, bad
// variables) and 404 (unknown or revoked token) are final, except GitLab's
// pipeline-creation limit, which answers 400 "Too many pipelines created in
// the last minute": retried after a minute. Not idempotent: each accepted
// call makes a pipeline.
#include "asc_webhookd/integrations/gitlab/run.hpp"
#include "asc_webhookd/outbound/request_check.hpp"

namespace asc_webhookd::actions::detail {

using nlohmann::json;

namespace {

bool pipeline_limit(const outbound::AttemptResult& r) {
  return r.status == 400u && r.body.find("Too many pipelines created in the last minute") != std::string::npos;
}

}  // namespace

const outbound::RetryPolicy& gitlab_policy() {
  static const outbound::RetryPolicy p{{}, false, nullptr, nullptr, &pipeline_limit};
  return p;
}

boost::asio::awaitable<Outcome> run_gitlab(const Job& job, const config::GitlabAction& a, Services& s) {
  Outcome out;
  const auto* conn = connection(job.config.connections.gitlab, a.connection, "gitlab", out);
  if (!conn) co_return out;
  auto ref = render(a.ref, job, out, "ref");
  if (!ref) co_return out;
  if (ref->empty()) {
    fail(out, "ref rendered empty; GitLab needs the branch or tag to run on");
    co_return out;
  }
  json variables = json::object();
  for (const auto& [k, t] : a.variables) {
    auto v = render(t, job, out, "variables." + k);
    if (!v) co_return out;
    variables[k] = *v;  // GitLab: "a map of key-valued strings"
  }
  const std::string token = conn->trigger_token.reveal();
  json body = {{"token", token}, {"ref", *ref}};
  if (!variables.empty()) body["variables"] = variables;
  outbound::ClientRequest req;
  req.method = "POST";
  req.url = conn->api_url + "/projects/" + outbound::encode_component(a.project) + "/trigger/pipeline";
  req.secrets.push_back(token);
  req.timeout = job.config.delivery.timeout;
  req.headers = {{"Content-Type", "application/json"}, {"User-Agent", "asc-webhookd/" ASC_WEBHOOKD_VERSION}};
  req.body = body.dump();
  auto res = co_await send(s, out, std::move(req), gitlab_policy());
  if (res) {
    auto j = json::parse(res->body, nullptr, false);
    if (j.is_object() && j.contains("web_url") && j["web_url"].is_string())
      out.detail = "pipeline " + j["web_url"].get<std::string>();
    else if (j.is_object() && j.contains("id") && j["id"].is_number())
      out.detail = "pipeline " + j["id"].dump();
  }
  co_return out;
}

}  // namespace asc_webhookd::actions::detail
