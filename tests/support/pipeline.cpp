#include "support/pipeline.hpp"

#include "asc_webhookd/ingest/signature.hpp"

#include "support/store_calls.hpp"
#include "support/temp_dir.hpp"

#include <nlohmann/json.hpp>

#include <thread>

namespace asc_webhookd::test {

std::string upload_event(const std::string& id, const std::string& upload, const std::string& to, const std::string& from) {
  return R"({"data":{"type":"buildUploadStateUpdated","id":")" + id + R"(","version":1,"attributes":{"oldState":")" + from +
         R"(","newState":")" + to + R"("},"relationships":{"instance":{"data":{"type":"buildUploads","id":")" + upload +
         R"("}}}}})";
}

RawResponse post_signed(std::uint16_t port, const std::string& webhook, const std::string& body, const std::string& secret) {
  RawClient c(port);
  c.send(make_request("POST", "/webhooks/" + webhook, body, {{"x-apple-signature", ingest::sign(secret, body)}}));
  return c.read_response().value_or(RawResponse{});
}

std::optional<store::EventView> wait_event(store::Store& st, const std::string& id,
                                           const std::function<bool(const store::EventView&)>& pred,
                                           std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto ev = test::event_named(st, id).value();  // a store that fails here fails the test
    if (ev && pred(*ev)) return ev;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return std::nullopt;
}

std::string metrics_of(std::uint16_t port) {
  RawClient client(port);
  if (!client.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")) return "";
  auto r = client.read_response();
  return r ? r->body : "";
}

bool settled(const store::EventView& ev) {
  for (const auto& j : ev.jobs)
    if (j.state != "done" && j.state != "dead") return false;
  return true;
}

std::string fixture_event(const std::string& relative, const std::string& id, const std::string& instance_id,
                          const std::string& new_state) {
  auto j = nlohmann::json::parse(fixture(relative));
  auto& data = j["data"];
  data["id"] = id;
  if (!instance_id.empty()) {
    auto& rel = data["relationships"]["instance"];
    if (rel.contains("data")) rel["data"]["id"] = instance_id;
    else if (data.contains("instance")) data["instance"]["id"] = instance_id;
  }
  if (!new_state.empty()) {
    auto& attrs = data["attributes"];
    for (const char* k : {"newValue", "newState", "newExternalBuildState"})
      if (attrs.contains(k)) attrs[k] = new_state;
  }
  return j.dump();
}

}  // namespace asc_webhookd::test
