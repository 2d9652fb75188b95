// The event decoder: any body → an Event or an Error naming what is wrong.
#include "asc_webhookd/event/event.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto ev = asc_webhookd::event::decode_event(std::string_view(reinterpret_cast<const char*>(data), size));
  if (ev && ev->timestamp) (void)asc_webhookd::event::parse_rfc3339_nanos(ev->timestamp->text);
  return 0;
}
