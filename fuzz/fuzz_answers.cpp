// The decoders of outside answers: Apple's webhook and delivery lists and
// created resources, the lookup data added to templates, and every
// service's error body (GitHub, Slack, Jira, App Store Connect) as the
// message an attempt records.
#include "asc_webhookd/outbound/exchange.hpp"
#include "asc_webhookd/apple/resources.hpp"
#include "asc_webhookd/enrich/shape.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace asc_webhookd;
  const std::string body(reinterpret_cast<const char*>(data), size);
  (void)outbound::service_message(body);
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) return 0;
  (void)apple::decode_deliveries(j);
  (void)apple::decode_webhooks(j);
  (void)apple::decode_created_id(j, "webhookPings");
  nlohmann::json context = nlohmann::json::object();
  enrich::add_to_context(context, j);
  return 0;
}
