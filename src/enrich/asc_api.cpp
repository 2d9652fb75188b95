#include "asc_webhookd/enrich/asc_api.hpp"

#include "asc_webhookd/enrich/feedback.hpp"

#include "asc_webhookd/apple/access.hpp"
#include "asc_webhookd/core/log.hpp"
#include "asc_webhookd/core/metrics.hpp"
#include "asc_webhookd/enrich/shape.hpp"
#include "asc_webhookd/outbound/exchange.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cctype>

namespace asc_webhookd::enrich {

namespace net = boost::asio;
using nlohmann::json;

namespace {

// Bounds memory only: an answer is shared by one event's jobs, which run
// within moments of each other (they are leased together).
constexpr std::int64_t kCacheMs = 10 * 60'000;
constexpr std::size_t kCacheMax = 512;
constexpr std::size_t kCrashLogMax = kFeedbackCrashLogMax;
constexpr std::string_view kErrorPrefix = "App Store Connect API: ";

// What to include for each instance type, so templates see app and build.
std::string includes_for(const std::string& type) {
  if (type == "appStoreVersions") return "app,build";
  if (type == "buildUploads" || type == "buildBetaDetails") return "build";
  if (type == "betaFeedbackCrashSubmissions" || type == "betaFeedbackScreenshotSubmissions") return "build,tester";
  return "";
}

// The instance types Apple's events name, each a resource at /v1/{type}/{id}.
bool documented_resource(const std::string& type) {
  static const char* const kTypes[] = {"appStoreVersions",
                                       "buildUploads",
                                       "buildBetaDetails",
                                       "betaFeedbackCrashSubmissions",
                                       "betaFeedbackScreenshotSubmissions",
                                       "backgroundAssetVersions",
                                       "backgroundAssetVersionInternalBetaReleases",
                                       "backgroundAssetVersionExternalBetaReleases",
                                       "backgroundAssetVersionAppStoreReleases",
                                       "alternativeDistributionPackages",
                                       "alternativeDistributionPackageVersions"};
  for (const char* t : kTypes)
    if (type == t) return true;
  return false;
}

// An id as one path segment: anything but unreserved characters encoded
// (a space, '#', '/', "..", CR/LF cannot change the request).
std::string path_segment(const std::string& id) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : id) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '~') out += static_cast<char>(c);
    else (((out += '%') += hex[c >> 4]) += hex[c & 15]);
  }
  return out;
}

}  // namespace

struct AscApi::Flight {
  explicit Flight(net::any_io_executor ex) : done(ex) { done.expires_at(net::steady_timer::time_point::max()); }
  net::steady_timer done;
  std::optional<Enrichment> result;
};

Result<std::shared_ptr<AscApi>, Error> AscApi::create(const config::AppStoreConnectConfig& cfg, const Clock& clock) {
  auto minter = apple::TokenMinter::create(cfg, clock);
  if (!minter) return minter.error();
  return std::shared_ptr<AscApi>(new AscApi(cfg, std::move(*minter), clock));
}

bool AscApi::same_config(const config::AppStoreConnectConfig& c) const {
  return c.issuer_id == cfg_.issuer_id && c.key_id == cfg_.key_id && c.private_key == cfg_.private_key && c.base_url == cfg_.base_url;
}

std::string AscApi::instance_url(const event::Event& event, std::string& why) const {
  if (!event.instance || event.instance->id.empty()) {
    why = "the event has no instance";
    return "";
  }
  // The request is built from the documented resource type and the id,
  // percent-encoded: never the payload's link path or query, which would
  // take the token wherever a payload points (../, other resources).
  const std::string& link = event.instance->url;
  if (!link.empty() && !apple::link_at_base(cfg_.base_url, link, why)) {
    why = "instance " + why;
    return "";
  }
  if (!documented_resource(event.instance->type)) {
    why = "no lookup for instances of type " + event.instance->type.substr(0, 64);
    return "";
  }
  std::string url = cfg_.base_url + "/v1/" + event.instance->type + "/" + path_segment(event.instance->id);
  const std::string inc = includes_for(event.instance->type);
  if (!inc.empty() && url.find("include=") == std::string::npos)
    url += (url.find('?') == std::string::npos ? "?" : "&") + std::string("include=") + inc;
  return url;
}

net::awaitable<Enrichment> AscApi::get(const std::string& url, std::int64_t event_seq, outbound::Transport& http,
                                       Duration timeout, bool fresh) {
  const std::int64_t now = clock_.now_ms();
  const std::string key = std::to_string(event_seq) + " " + url;
  if (auto it = cache_.find(key); it != cache_.end()) {
    if (it->second.until_ms > now && !fresh) co_return it->second.value;
    cache_.erase(it);
  }
  // One request per URL at a time: later callers wait for the first.
  if (auto f = flights_.find(key); f != flights_.end()) {
    auto flight = f->second;
    co_await flight->done.async_wait(net::as_tuple(net::use_awaitable));
    if (flight->result) co_return *flight->result;
  }
  auto flight = std::make_shared<Flight>(co_await net::this_coro::executor);
  flights_[key] = flight;

  Enrichment out;
  out.target = "GET " + url;
  outbound::ClientRequest req;
  req.method = "GET";
  req.url = url;
  req.timeout = timeout;
  const std::string tok = token_.token();
  req.headers = {{"Authorization", "Bearer " + tok}, {"Accept", "application/json"}};
  req.secrets.push_back(tok);
  auto res = co_await http.send(std::move(req));
  auto& reg = metrics::Registry::global();
  if (!res) {
    reg.inc("asc_webhookd_asc_api_calls_total", {{"code", "error"}});
    out.status = Enrichment::Status::failed;
    out.reason = "network";
    out.failure.error = std::string(kErrorPrefix) + res.error().message;
  } else {
    reg.inc("asc_webhookd_asc_api_calls_total", {{"code", std::to_string(res->status)}});
    apple::export_rate_limit(res->header("x-rate-limit"));
    if (res->status == 200) {
      out.response = json::parse(res->body, nullptr, false);
      if (out.response.is_object() && out.response.contains("data")) {
        out.status = Enrichment::Status::enriched;
      } else {
        out.status = Enrichment::Status::failed;
        out.reason = "no_data";
        out.failure.error = std::string(kErrorPrefix) + "the answer has no data";
      }
    } else if (res->status == 404) {
      out.status = Enrichment::Status::absent;
      out.reason = "404";
      out.note = "instance not found (404)";
    } else {
      out.status = Enrichment::Status::failed;
      out.reason = std::to_string(res->status);
      out.failure.status = res->status;
      out.failure.headers = res->headers;
      out.failure.body = res->body;
      out.failure.error = std::string(kErrorPrefix) + outbound::service_message(res->body);
    }
  }
  if (out.status == Enrichment::Status::failed) out.decision = outbound::decide(outbound::kPlainHttp, out.failure, clock_.now_ms());
  if (out.status != Enrichment::Status::failed) {
    if (cache_.size() >= kCacheMax) cache_.clear();
    cache_[key] = {out, clock_.now_ms() + kCacheMs};
  }
  flight->result = out;
  flights_.erase(key);
  flight->done.cancel();
  co_return out;
}

net::awaitable<Enrichment> AscApi::enrich(const event::Event& event, std::int64_t event_seq, outbound::Transport& http,
                                          Duration timeout, bool fresh) {
  std::string why;
  const std::string url = instance_url(event, why);
  if (url.empty()) {
    if (event.instance) log::get("enrich")->warn("enrichment skipped event={} reason=\"{}\"", event.id, why);
    Enrichment none;
    none.note = why;
    if (event.instance && !event.instance->id.empty()) none.reason = "refused_link";
    co_return none;
  }
  Enrichment e = co_await get(url, event_seq, http, timeout, fresh);
  if (fresh) co_return e;  // only the submission's own URLs were wanted again
  if (e.status == Enrichment::Status::enriched && event.instance->type == "betaFeedbackCrashSubmissions") {
    // Best effort: the crash log text, bounded.
    Enrichment log = co_await get(cfg_.base_url + "/v1/betaFeedbackCrashSubmissions/" + path_segment(event.instance->id) + "/crashLog", event_seq, http, timeout);
    const json& data = log.response.is_object() && log.response.contains("data") ? log.response["data"] : json();
    if (log.status == Enrichment::Status::enriched && data.is_object() && data.contains("attributes") &&
        data["attributes"].is_object() && data["attributes"].contains("logText") && data["attributes"]["logText"].is_string()) {
      e.crash_log = data["attributes"]["logText"].get<std::string>();
      if (e.crash_log.size() > kCrashLogMax) e.crash_log = e.crash_log.substr(0, kCrashLogMax) + "\n…";
    }
  }
  if (e.status == Enrichment::Status::enriched && e.response.is_object() &&
      (event.instance->type == "betaFeedbackCrashSubmissions" || event.instance->type == "betaFeedbackScreenshotSubmissions")) {
    // Best effort: the app version a tester ran (the build's pre-release
    // version; the submission names only the build).
    const json::json_pointer build_id("/data/relationships/build/data/id");
    if (e.response.contains(build_id) && e.response.at(build_id).is_string()) {
      Enrichment pre = co_await get(cfg_.base_url + "/v1/builds/" + path_segment(e.response.at(build_id).get<std::string>()) +
                                        "/preReleaseVersion",
                                    event_seq, http, timeout);
      const json::json_pointer version("/data/attributes/version");
      if (pre.status == Enrichment::Status::enriched && pre.response.contains(version) && pre.response.at(version).is_string())
        e.app_version = pre.response.at(version).get<std::string>();
    }
  }
  co_return e;
}

net::awaitable<std::optional<json>> AscApi::fresh_screenshots(event::Event event, std::int64_t event_seq,
                                                             outbound::Transport& http, Duration timeout) {
  const Enrichment again = co_await enrich(event, event_seq, http, timeout, /*fresh=*/true);
  json context = json::object();
  add_enrichment(context, again);
  if (!context.contains("feedback")) co_return std::nullopt;
  co_return context["feedback"]["screenshots"];
}

void add_enrichment(json& context, const Enrichment& e) {
  if (e.status != Enrichment::Status::enriched) return;
  add_to_context(context, e.response);
  if (!e.crash_log.empty()) context["instance"]["crash_log"] = e.crash_log;
  if (json fb = feedback_data(context); fb.is_object()) {
    fb["app_version"] = e.app_version;
    context["feedback"] = std::move(fb);
  }
}

std::string enrichment_error(const Enrichment& e) {
  switch (e.status) {
    case Enrichment::Status::enriched: return "";
    case Enrichment::Status::absent: return e.reason.empty() ? "" : e.note;
    case Enrichment::Status::failed: break;
  }
  std::string why = e.failure.error;
  if (e.failure.status) {
    why = "App Store Connect API answered " + std::to_string(*e.failure.status) +
          (why.rfind(kErrorPrefix, 0) == 0 ? ": " + why.substr(kErrorPrefix.size()) : "");
    if (*e.failure.status == 401 || *e.failure.status == 403)
      why += " (is the API key revoked, or without access to this app?)";
  }
  return why;
}

}  // namespace asc_webhookd::enrich
