// The console's query parameters: any request target → a query or a
// message naming the bad parameter.
#include "asc_webhookd/admin/query.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)asc_webhookd::admin::parse_event_query(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
