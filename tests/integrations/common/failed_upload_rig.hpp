#pragma once
// For the chat integrations' end-to-end tests: a fake App Store Connect
// answering the seed run's failed upload (Apple's recorded answer, linked to
// app 6747000001), the config around it, and posting that event.
#include "support/fake_asc.hpp"
#include "support/keys.hpp"
#include "support/pipeline.hpp"
#include "support/test_server.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace asc_webhookd::test {

using json = nlohmann::json;

inline const char* const kUploadId = "c0ffee00-1234-4abc-9def-0123456789ab";

struct Rig {
  KeyPair key = make_p256_key();
  TempDir dir;
  std::string key_file = dir.write("AuthKey.p8", key.private_pem);
  FakeAsc asc{key.public_pem, kAscKeyId, kAscIssuer};

  Rig() {
    json upload = json::parse(fixture("api/buildUploads-FAILED.json"));
    upload["data"]["relationships"]["app"] = {{"data", {{"type", "apps"}, {"id", "6747000001"}}}};
    asc.serve(std::string("/v1/buildUploads/") + kUploadId, upload);
  }
  std::string config(const std::string& connections, const std::string& action, const std::string& backoff = "100ms") const {
    return basic_config("", "app_store_connect:\n  issuer_id: " + std::string(kAscIssuer) + "\n  key_id: " + kAscKeyId +
                                "\n  private_key: \"${file:" + key_file + "}\"\n  base_url: " + asc.base_url() +
                                "\ndelivery:\n  initial_backoff: " + backoff + "\n  max_backoff: 2h\nconnections:\n" + connections +
                                "rules:\n  - name: tell\n    when: { event: \"*\" }\n    actions:\n" + action);
  }
};

inline std::optional<store::EventView> post_failed_upload(TestServer& server, const std::string& id = "failed-upload") {
  std::string body = fixture("events/seed/02-buildUploadStateUpdated-FAILED.json");
  auto j = json::parse(body);
  j["data"]["id"] = id;
  if (post_signed(server.port(), "app", j.dump(), "s3cret").status != 200) return std::nullopt;
  return wait_event(server.store(), id, settled);
}

}  // namespace asc_webhookd::test
