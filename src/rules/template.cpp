#include "asc_webhookd/rules/template.hpp"

#include "asc_webhookd/event/review.hpp"
#include "asc_webhookd/outbound/request_check.hpp"

#include <kainjow/mustache.hpp>

#include <cctype>
#include <cstdlib>

namespace asc_webhookd::rules {

namespace mustache = kainjow::mustache;
using nlohmann::json;

namespace {

mustache::data to_data(const json& j) {
  switch (j.type()) {
    case json::value_t::object: {
      mustache::data d{mustache::data::type::object};
      for (const auto& [k, v] : j.items()) d.set(k, to_data(v));
      return d;
    }
    case json::value_t::array: {
      mustache::data d{mustache::data::type::list};
      for (const auto& v : j) d.push_back(to_data(v));
      return d;
    }
    case json::value_t::string:
      return mustache::data(j.get<std::string>());
    case json::value_t::boolean:
      return j.get<bool>() ? mustache::data(mustache::data::type::bool_true)
                           : mustache::data(mustache::data::type::bool_false);
    case json::value_t::null:
    case json::value_t::discarded:
      return mustache::data(mustache::data::type::bool_false);
    default:
      return mustache::data(j.dump());  // numbers as written
  }
}

// review.*: what a review message shows. Numbers as text, like the rest of
// the data; `response` only when the developer answered.
json review_data(const std::string& id, const event::Review& r) {
  json out = {{"id", id},
              {"rating", std::to_string(r.rating)},
              {"stars", event::stars(r.rating)},
              {"title", r.title},
              {"body", r.body},
              {"nickname", r.nickname},
              {"territory", r.territory},
              {"created", r.created},
              {"app_id", r.app_id}};
  if (r.response) out["response"] = *r.response;
  if (r.response_state) out["response_state"] = *r.response_state;
  return out;
}

}  // namespace

json template_context(const event::Event& e, const config::WebhookConfig* webhook, const std::string& rule) {
  json event = {{"type", e.type_name}, {"id", e.id}, {"raw", e.raw}};
  if (e.version) event["version"] = std::to_string(*e.version);
  if (e.timestamp) event["timestamp"] = e.timestamp->text;
  if (e.old_state) event["old_state"] = *e.old_state;
  if (e.new_state) event["new_state"] = *e.new_state;
  if (e.instance) event["instance"] = {{"type", e.instance->type}, {"id", e.instance->id}, {"url", e.instance->url}};
  json hook = json::object();
  if (webhook) hook = {{"name", webhook->name}, {"app_name", webhook->app_name}};
  json context = {{"event", event}, {"webhook", hook}, {"rule", {{"name", rule}}}};
  if (e.review) context["review"] = review_data(e.id, *e.review);
  if (e.health)
    context["health"] = {{"healthy", e.health->healthy}, {"problems", e.health->problems}, {"previous", e.health->previous}};
  return context;
}

namespace {

std::string string_at(const json& j, const char* pointer) {
  const json::json_pointer p(pointer);
  if (!j.contains(p)) return "";
  const json& v = j.at(p);
  return v.is_string() ? v.get<std::string>() : "";
}

}  // namespace

void add_links(json& context) {
  std::string app_id = string_at(context, "/app/id");
  if (app_id.empty()) app_id = string_at(context, "/instance/relationships/app/data/id");
  if (app_id.empty()) app_id = string_at(context, "/review/app_id");
  std::string link;
  // Apple ids are digits; anything else is not put into a link.
  if (!app_id.empty() && app_id.find_first_not_of("0123456789") == std::string::npos) {
    const std::string type = string_at(context, "/event/type");
    const bool testflight = type.rfind("betaFeedback", 0) == 0 || type.rfind("buildBetaDetail", 0) == 0 ||
                            type.rfind("buildUpload", 0) == 0;
    link = "https://appstoreconnect.apple.com/apps/" + app_id + (testflight ? "/testflight/ios" : "/distribution");
  }
  context["links"] = {{"app_store_connect", link}};
  if (context.contains("review")) {
    // App Store Connect has no documented address for one review: its
    // Ratings and Reviews page of the app is the closest.
    context["links"]["review"] = link.empty() ? std::string()
                                              : "https://appstoreconnect.apple.com/apps/" + app_id +
                                                    "/distribution/activity/ios/ratingsResponses";
  }
}

namespace {

std::string escape_value(Escape escape, const std::string& value) {
  switch (escape) {
    case Escape::url_component:
      return outbound::encode_component(value);
    case Escape::json_string: {
      // nlohmann writes a valid JSON string; invalid UTF-8 becomes U+FFFD.
      std::string quoted = json(value).dump(-1, ' ', false, json::error_handler_t::replace);
      return quoted.substr(1, quoted.size() - 2);
    }
    case Escape::none:
      break;
  }
  return value;
}

}  // namespace

Result<std::string, Error> render(const std::string& text, const json& context, Escape escape) {
  // Most strings in a config are plain: no need to compile or convert the data.
  if (text.find("{{") == std::string::npos) return Result<std::string, Error>(boost::system::in_place_value, text);
  mustache::mustache tmpl(text);
  if (!tmpl.is_valid()) return Error{tmpl.error_message()};
  tmpl.set_custom_escape([escape](const std::string& s) { return escape_value(escape, s); });
  std::string out = tmpl.render(to_data(context));
  if (!tmpl.is_valid()) return Error{tmpl.error_message()};
  return Result<std::string, Error>(boost::system::in_place_value, std::move(out));
}

std::string check_template(const std::string& text, std::size_t& offset) {
  offset = 0;
  mustache::mustache tmpl(text);
  if (!tmpl.is_valid()) {
    std::string msg = tmpl.error_message();
    // kainjow ends its messages with " at N" (a byte offset).
    if (auto at = msg.rfind(" at "); at != std::string::npos) {
      offset = std::strtoul(msg.c_str() + at + 4, nullptr, 10);
      msg.erase(at);
    }
    return msg;
  }
  static const char* const known[] = {"event",   "webhook",    "rule",       "instance", "app",
                                      "build",   "history",    "enrichment", "links",    "review",
                                      "feedback"};
  auto trim = [](std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.erase(0, 1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    return s;
  };
  int depth = 0;
  std::size_t pos = 0;
  while (true) {
    const std::size_t open = text.find("{{", pos);
    if (open == std::string::npos) break;
    const bool triple = text.compare(open, 3, "{{{") == 0;
    const std::size_t start = open + (triple ? 3 : 2);
    const std::size_t close = text.find(triple ? "}}}" : "}}", start);
    if (close == std::string::npos) break;
    std::string inner = trim(text.substr(start, close - start));
    pos = close + (triple ? 3 : 2);
    if (inner.empty() || inner[0] == '!') continue;
    if (inner[0] == '=') break;  // custom delimiters: the compiler has checked it, we stop here
    std::string name = inner;
    bool opens = false;
    if (inner[0] == '/') {
      depth = std::max(0, depth - 1);
      continue;
    }
    if (inner[0] == '>') {
      offset = open;
      return "partials ({{>name}}) are not supported";
    }
    if (inner[0] == '#' || inner[0] == '^') opens = true;
    if (opens || inner[0] == '&') name = trim(inner.substr(1));
    if (depth == 0 && name != ".") {
      const std::string root = name.substr(0, name.find('.'));
      bool ok = false;
      for (const char* k : known) ok = ok || root == k;
      if (!ok) {
        offset = open;
        return "unknown template data \"" + root +
               "\" (the data has event, webhook, rule, instance, app, build, history, links, review and feedback)";
      }
    }
    if (opens) ++depth;
  }
  return "";
}

}  // namespace asc_webhookd::rules
