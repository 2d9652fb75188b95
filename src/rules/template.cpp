#include "asc_webhookd/rules/template.hpp"

#include <kainjow/mustache.hpp>

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

}  // namespace

json template_context(const ingest::Event& e, const config::WebhookConfig* webhook, const std::string& rule) {
  json event = {{"type", e.type_name}, {"id", e.id}, {"raw", e.raw}};
  if (e.version) event["version"] = std::to_string(*e.version);
  if (e.timestamp) event["timestamp"] = e.timestamp->text;
  if (e.old_state) event["old_state"] = *e.old_state;
  if (e.new_state) event["new_state"] = *e.new_state;
  if (e.instance) event["instance"] = {{"type", e.instance->type}, {"id", e.instance->id}, {"url", e.instance->url}};
  json hook = json::object();
  if (webhook) hook = {{"name", webhook->name}, {"app_name", webhook->app_name}};
  return {{"event", event}, {"webhook", hook}, {"rule", {{"name", rule}}}};
}

Result<std::string, Error> render(const std::string& text, const json& context) {
  mustache::mustache tmpl(text);
  if (!tmpl.is_valid()) return Error{tmpl.error_message()};
  tmpl.set_custom_escape([](const std::string& s) { return s; });
  std::string out = tmpl.render(to_data(context));
  if (!tmpl.is_valid()) return Error{tmpl.error_message()};
  return Result<std::string, Error>(boost::system::in_place_value, std::move(out));
}

std::string template_error(const std::string& text) {
  mustache::mustache tmpl(text);
  return tmpl.is_valid() ? "" : tmpl.error_message();
}

}  // namespace asc_webhookd::rules
