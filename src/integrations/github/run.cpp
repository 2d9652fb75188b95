// GitHub Actions: workflow_dispatch or repository_dispatch (GitHub's REST
// API, "Workflows" and "Repositories"), authenticated with a token or as a GitHub App installation.
#include "asc_webhookd/integrations/github/run.hpp"
#include "asc_webhookd/core/jwt.hpp"

namespace asc_webhookd::actions::detail {

const outbound::RetryPolicy& github_policy() {
  static const outbound::RetryPolicy p{{}, true, nullptr};
  return p;
}

using nlohmann::json;
namespace net = boost::asio;

void github_headers(outbound::ClientRequest& req, const std::string& token) {
  req.headers = {{"Accept", "application/vnd.github+json"},
                 {"Authorization", "Bearer " + token},
                 {"X-GitHub-Api-Version", "2022-11-28"},
                 {"User-Agent", "asc-webhookd/" ASC_WEBHOOKD_VERSION}};
  req.secrets.push_back(token);
}

namespace {

using Limits = config::GithubLimits;

// The default client_payload: what the event says, in at most 10 keys.
json event_summary(const Job& job) {
  const auto& c = job.context;
  json p = {{"asc_event_type", job.event.type_name}, {"asc_event_id", job.event.id}};
  auto copy = [&](const char* key, const json& from, const char* name) {
    if (auto it = from.find(name); it != from.end() && !it->is_null()) p[key] = *it;
  };
  const json& ev = c.at("event");
  copy("webhook", c.at("webhook"), "name");
  copy("app_name", c.at("webhook"), "app_name");
  if (auto it = ev.find("instance"); it != ev.end()) {
    p["instance_type"] = it->at("type");
    p["instance_id"] = it->at("id");
  }
  copy("old_state", ev, "old_state");
  copy("new_state", ev, "new_state");
  copy("timestamp", ev, "timestamp");
  if (auto in = c.find("instance"); in != c.end() && in->is_object()) {
    json details = json::object();
    const json attrs = in->value("attributes", json::object());
    for (const char* k : {"versionString", "cfBundleShortVersionString", "cfBundleVersion", "version", "platform"})
      if (auto a = attrs.find(k); a != attrs.end() && !a->is_null()) details[k] = *a;
    if (auto app = c.find("app"); app != c.end() && app->is_object())
      for (const char* k : {"name", "bundleId"})
        if (auto a = app->find(k); a != app->end()) details[std::string("app_") + k] = *a;
    if (!details.empty()) p["details"] = details;
  }
  return p;
}

struct Token {
  std::string value;
  bool minted_now = false;
};

// Where a connection's installation token is cached.
std::string token_key(const std::string& name, const config::GithubConnection& c) {
  return name + "|" + std::to_string(c.app->installation_id);
}

// An installation token for a GitHub App connection: cached, else minted
// with an RS256 JWT (iat 60 s in the past for clock drift, exp ≤ 10 min).
net::awaitable<std::optional<Token>> app_token(const config::GithubConnection& c, const std::string& name, Services& s,
                                               const Job& job, Outcome& out) {
  const std::string key = token_key(name, c);
  const std::int64_t now = s.clock.now_ms();
  if (auto t = s.tokens.get(key, now)) co_return Token{*t, false};
  auto signing = jwt::SigningKey::load(c.app->private_key.reveal(), jwt::Algorithm::rs256);
  if (!signing) {
    fail(out, "GitHub App private key: " + signing.error().message);
    co_return std::nullopt;
  }
  const std::int64_t now_s = now / 1000;
  auto jwt_token = signing->sign(json::object(), {{"iat", now_s - 60}, {"exp", now_s + 540}, {"iss", c.app->app_id}});
  if (!jwt_token) {
    fail(out, jwt_token.error().message);
    co_return std::nullopt;
  }
  outbound::ClientRequest req;
  req.method = "POST";
  req.url = c.api_url + "/app/installations/" + std::to_string(c.app->installation_id) + "/access_tokens";
  req.timeout = job.config.delivery.timeout;
  github_headers(req, *jwt_token);
  auto res = co_await send(s, out, std::move(req), github_policy());
  if (!res) {
    out.decision.reason = "installation token: " + out.decision.reason;
    co_return std::nullopt;
  }
  auto body = json::parse(res->body, nullptr, false);
  if (!body.is_object() || !body.contains("token") || !body["token"].is_string()) {
    retry_later(out, "installation token: the answer has no token");  // a broken answer
    co_return std::nullopt;
  }
  std::string token = body["token"].get<std::string>();
  std::int64_t expires = now + 60 * 60 * 1000;  // GitHub: one hour
  if (body.contains("expires_at") && body["expires_at"].is_string())
    if (auto ns = event::parse_rfc3339_nanos(body["expires_at"].get<std::string>())) expires = *ns / 1'000'000;
  s.tokens.put(key, token, expires);
  co_return Token{token, true};
}

}  // namespace

net::awaitable<std::optional<std::string>> github_token(const config::GithubConnection& c, const std::string& name,
                                                        Services& s, const Job& job, Outcome& out) {
  if (c.token) co_return c.token->reveal();
  auto t = co_await app_token(c, name, s, job, out);
  if (!t) co_return std::nullopt;
  co_return t->value;
}

namespace {

// The dispatch request without its Authorization: workflow_dispatch (ref,
// inputs) or repository_dispatch (event_type, client_payload); nullopt
// (with `out` set) when a template fails or GitHub would refuse a value.
std::optional<outbound::ClientRequest> dispatch_request(const Job& job, const config::GithubAction& a,
                                                    const config::GithubConnection& conn, Outcome& out) {
  outbound::ClientRequest req;
  req.method = "POST";
  req.timeout = job.config.delivery.timeout;
  json body;
  if (a.workflow) {
    req.url = conn.api_url + "/repos/" + a.repo + "/actions/workflows/" + *a.workflow + "/dispatches";
    auto ref = render(a.ref.value_or(config::Template{"main", {}}), job, out, "ref");
    if (!ref) return std::nullopt;
    body = {{"ref", *ref}, {"return_run_details", true}};
    if (!a.inputs.empty()) {
      json inputs = json::object();
      for (const auto& [k, t] : a.inputs) {
        auto v = render(t, job, out, "inputs." + k);
        if (!v) return std::nullopt;
        inputs[k] = *v;  // GitHub takes input values as strings
      }
      body["inputs"] = inputs;
    }
  } else {
    req.url = conn.api_url + "/repos/" + a.repo + "/dispatches";
    auto et = render(*a.event_type, job, out, "event_type");
    if (!et) return std::nullopt;
    if (et->empty() || et->size() > Limits::max_event_type) {
      fail(out, "event_type \"" + et->substr(0, 120) + "\" must be 1 to 100 characters (GitHub's limit)");
      return std::nullopt;
    }
    json payload;
    if (a.client_payload) {
      auto p = render_tree(*a.client_payload, job, out, "client_payload");
      if (!p) return std::nullopt;
      payload = std::move(*p);
    } else {
      payload = event_summary(job);
    }
    if (payload.size() > Limits::max_client_payload_keys || payload.dump().size() >= Limits::max_client_payload_bytes) {
      fail(out, "client_payload must have at most 10 top-level keys and be under 64 KB (GitHub's limits)");
      return std::nullopt;
    }
    body = {{"event_type", *et}, {"client_payload", payload}};
  }
  req.body = body.dump();
  return req;
}

}  // namespace

namespace {

// A server that refused `return_run_details` (GitHub Enterprise Server
// before 3.21: 400 `"return_run_details" is not a permitted key.`; some
// clients see 422) is remembered per connection, by its API URL: a server
// upgraded behind another URL is asked again.
std::string no_run_details_key(const std::string& name, const config::GithubConnection& c) {
  return "github-no-run-details:" + name + ":" + c.api_url;
}

bool refused_run_details(const Outcome& out) {
  return (out.result.status == 400u || out.result.status == 422u) &&
         out.result.body.find("return_run_details") != std::string::npos;
}

outbound::ClientRequest without_run_details(outbound::ClientRequest req) {
  auto body = json::parse(req.body);
  body.erase("return_run_details");
  req.body = body.dump();
  return req;
}

}  // namespace

net::awaitable<Outcome> run_github(const Job& job, const config::GithubAction& a, Services& s) {
  if (a.issue) co_return co_await run_github_issue(job, a, s);
  Outcome out;
  const auto* found = connection(job.config.connections.github, a.connection, "github", out);
  if (!found) co_return out;
  const auto& conn = *found;
  auto req = dispatch_request(job, a, conn, out);
  if (!req) co_return out;
  const std::string refusal_key = no_run_details_key(a.connection, conn);
  bool asks_run = a.workflow.has_value();
  if (asks_run && co_await s.kv.get(refusal_key)) {
    req = without_run_details(std::move(*req));
    asks_run = false;
  }
  for (int round = 0; round < 3; ++round) {
    Token token;
    if (conn.token) {
      token.value = conn.token->reveal();
    } else {
      auto t = co_await app_token(conn, a.connection, s, job, out);
      if (!t) co_return out;
      token = *t;
    }
    outbound::ClientRequest attempt = *req;
    github_headers(attempt, token.value);
    attempt.headers.emplace_back("Content-Type", "application/json");
    auto res = co_await send(s, out, std::move(attempt), github_policy());
    if (res && res->status == 200) {  // return_run_details answers
      auto j = json::parse(res->body, nullptr, false);
      if (j.is_object() && j.contains("html_url") && j["html_url"].is_string()) out.detail = "run " + j["html_url"].get<std::string>();
    } else if (res && a.workflow) {
      out.detail = asks_run ? "dispatched; GitHub answered " + std::to_string(res->status) + " without the run"
                            : "dispatched; no run link (this server refuses return_run_details)";
    }
    // Refused, no run was made (an inference: the key is checked before
    // the dispatch): the same attempt asks again without the field.
    if (!res && asks_run && refused_run_details(out)) {
      co_await s.kv.put(refusal_key, "refused");
      req = without_run_details(std::move(*req));
      asks_run = false;
      continue;
    }
    // An installation token may expire between the cache check and the
    // call: mint a fresh one once.
    if (!res && out.result.status == 401u && conn.app && !token.minted_now) {
      s.tokens.drop(token_key(a.connection, conn));
      continue;
    }
    break;
  }
  co_return out;
}

}  // namespace asc_webhookd::actions::detail
