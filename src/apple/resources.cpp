#include "asc_webhookd/apple/resources.hpp"

#include "json_members.hpp"

#include "asc_webhookd/core/clock.hpp"
#include "asc_webhookd/event/event.hpp"
#include "asc_webhookd/event/event_type.hpp"

#include <map>

namespace asc_webhookd::apple {

using nlohmann::json;

namespace {

using detail::bool_at;
using detail::object_at;
using detail::string_at;

Result<Webhook, Error> decode_webhook(const json& r) {
  if (!r.is_object() || string_at(r, "type") != "webhooks" || string_at(r, "id").empty())
    return Error{"a webhook in Apple's answer has no type \"webhooks\" or no id"};
  Webhook w;
  w.id = string_at(r, "id");
  const json& a = object_at(r, "attributes");
  w.name = string_at(a, "name");
  w.url = string_at(a, "url");
  w.enabled = bool_at(a, "enabled");
  if (auto it = a.find("eventTypes"); it != a.end() && it->is_array())
    for (const auto& t : *it)
      if (t.is_string()) w.event_types.push_back(t.get<std::string>());
  return w;
}

std::string payload_event_id(const std::string& payload) {
  auto body = json::parse(payload, nullptr, false);
  return string_at(object_at(body, "data"), "id");
}

}  // namespace

std::vector<std::string> subscription_types() {
  std::vector<std::string> out;
  for (const auto& t : event::known_event_types())
    if (!t.subscription.empty()) out.emplace_back(t.subscription);
  return out;
}

Result<std::vector<Webhook>, Error> decode_webhooks(const json& answer) {
  if (!answer.is_object() || !answer.contains("data")) return Error{"Apple's answer has no data"};
  const json& data = answer["data"];
  std::vector<Webhook> out;
  if (data.is_object()) {
    auto w = decode_webhook(data);
    if (!w) return w.error();
    out.push_back(std::move(*w));
    return out;
  }
  if (!data.is_array()) return Error{"Apple's answer's data is neither a list nor an object"};
  for (const auto& r : data) {
    auto w = decode_webhook(r);
    if (!w) return w.error();
    out.push_back(std::move(*w));
  }
  return out;
}

Result<DeliveryPage, Error> decode_deliveries(const json& answer) {
  if (!answer.is_object() || !answer.contains("data") || !answer["data"].is_array())
    return Error{"Apple's delivery list has no data list"};
  // The events ride along in `included`, named by each delivery's relationship.
  std::map<std::string, const json*> events;
  if (auto it = answer.find("included"); it != answer.end() && it->is_array())
    for (const auto& inc : *it)
      if (string_at(inc, "type") == "webhookEvents" && !string_at(inc, "id").empty()) events[string_at(inc, "id")] = &inc;
  DeliveryPage page;
  for (const auto& r : answer["data"]) {
    if (string_at(r, "type") != "webhookDeliveries" || string_at(r, "id").empty())
      return Error{"an entry of Apple's delivery list is not a webhookDeliveries resource with an id"};
    Delivery d;
    d.id = string_at(r, "id");
    const json& a = object_at(r, "attributes");
    d.created = string_at(a, "createdDate");
    if (auto ns = event::parse_rfc3339_nanos(d.created)) d.created_ms = *ns / 1'000'000;
    d.sent = string_at(a, "sentDate");
    d.state = string_at(a, "deliveryState");
    d.error = string_at(a, "errorMessage");
    d.redelivery = bool_at(a, "redelivery");
    const json& response = object_at(a, "response");
    if (auto it = response.find("httpStatusCode"); it != response.end() && it->is_number_integer())
      d.http_status = it->get<int>();
    const std::string event_ref = string_at(object_at(object_at(object_at(r, "relationships"), "event"), "data"), "id");
    if (auto it = events.find(event_ref); it != events.end()) {
      const json& ea = object_at(*it->second, "attributes");
      d.event_type = string_at(ea, "eventType");
      d.ping = bool_at(ea, "ping");
      d.payload = string_at(ea, "payload");
      d.event_id = payload_event_id(d.payload);
    }
    page.deliveries.push_back(std::move(d));
  }
  page.next = next_link(answer);
  return page;
}

std::string next_link(const json& answer) { return string_at(object_at(answer, "links"), "next"); }

Result<std::string, Error> decode_created_id(const json& answer, std::string_view type) {
  const json& data = object_at(answer, "data");
  if (string_at(data, "type") != type || string_at(data, "id").empty())
    return Error{"Apple's answer has no " + std::string(type) + " resource with an id"};
  return Result<std::string, Error>(boost::system::in_place_value, string_at(data, "id"));
}

namespace {
json spec_attributes(const WebhookSpec& spec) {
  return {{"name", spec.name}, {"url", spec.url}, {"secret", spec.secret}, {"eventTypes", spec.event_types},
          {"enabled", spec.enabled}};
}
}  // namespace

json webhook_create_body(const std::string& app_id, const WebhookSpec& spec) {
  return {{"data",
           {{"type", "webhooks"},
            {"attributes", spec_attributes(spec)},
            {"relationships", {{"app", {{"data", {{"type", "apps"}, {"id", app_id}}}}}}}}}};
}

json webhook_update_body(const std::string& webhook_id, const WebhookSpec& spec) {
  return {{"data", {{"type", "webhooks"}, {"id", webhook_id}, {"attributes", spec_attributes(spec)}}}};
}

json ping_body(const std::string& webhook_id) {
  return {{"data",
           {{"type", "webhookPings"},
            {"relationships", {{"webhook", {{"data", {{"type", "webhooks"}, {"id", webhook_id}}}}}}}}}};
}

std::string apple_time(std::int64_t ms) {
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03lldZ", static_cast<long long>(((ms % 1000) + 1000) % 1000));
  return format_utc(ms, "%Y-%m-%dT%H:%M:%S") + frac;
}

}  // namespace asc_webhookd::apple
