#pragma once
// Helpers for tests that drive the whole pipeline: post a signed event, wait
// for the store to reach a state, read fixtures with their ids changed.
#include "asc_webhookd/store/store.hpp"

#include "support/raw_client.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace asc_webhookd::test {

// POSTs `body` to /webhooks/{webhook} signed with `secret`; the answer, or
// status 0 when none came.
RawResponse post_signed(std::uint16_t port, const std::string& webhook, const std::string& body, const std::string& secret);

// GET /metrics of the daemon on `port` ("" when it did not answer).
std::string metrics_of(std::uint16_t port);

// Polls the store until `pred` holds for the event (bounded; no fixed sleeps).
std::optional<store::EventView> wait_event(store::Store& st, const std::string& id,
                                           const std::function<bool(const store::EventView&)>& pred,
                                           std::chrono::seconds timeout = std::chrono::seconds(30));
// Every job of the event is done or dead.
bool settled(const store::EventView& ev);

// A buildUploadStateUpdated event for one upload (no instance link).
std::string upload_event(const std::string& id, const std::string& upload = "up-1", const std::string& to = "COMPLETE",
                         const std::string& from = "PROCESSING");

// A fixture file's JSON with data.id (and, when given, the instance id and
// the new state) replaced, so one fixture yields distinct events.
std::string fixture_event(const std::string& relative, const std::string& id, const std::string& instance_id = "",
                          const std::string& new_state = "");

}  // namespace asc_webhookd::test
