// Templates: any text is checked and rendered (each escaping) over the
// template data of a real event, never a crash.
#include "asc_webhookd/event/event.hpp"
#include "asc_webhookd/rules/template.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace asc_webhookd;
  static const nlohmann::json context = [] {
    auto ev = event::decode_event(
        R"({"data":{"type":"buildUploadStateUpdated","id":"f-1","version":1,"attributes":{"oldState":"PROCESSING","newState":"FAILED","timestamp":"2026-06-09T10:09:30Z"},"relationships":{"instance":{"data":{"type":"buildUploads","id":"u-1"}}}}})");
    auto c = rules::template_context(*ev, nullptr, "fuzz");
    c["instance"] = {{"attributes", {{"cfBundleVersion", "41"}, {"errors", {{{"code", "90062"}}}}}}};
    c["history"] = nlohmann::json::array({{{"state", "PROCESSING"}}});
    return c;
  }();
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::size_t offset = 0;
  (void)rules::check_template(text, offset);
  for (auto e : {rules::Escape::none, rules::Escape::url_component, rules::Escape::json_string}) (void)rules::render(text, context, e);
  return 0;
}
