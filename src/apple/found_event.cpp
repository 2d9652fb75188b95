#include "asc_webhookd/apple/found_event.hpp"

#include "asc_webhookd/rules/engine.hpp"
#include "asc_webhookd/store/async.hpp"

namespace asc_webhookd::apple {

boost::asio::awaitable<store::StoreResult<store::Ingested>> store_found_event(const config::Config& cfg,
                                                                              const std::string& webhook,
                                                                              event::Event event, std::int64_t now_ms,
                                                                              std::string source, store::Store& store) {
  store::NewEvent ne{webhook, std::move(event), {}, now_ms, std::move(source)};
  ne.jobs = rules::jobs_of(rules::plan(cfg, webhook, ne.event));
  auto commit = [&store, ne = std::move(ne)](auto cb) mutable { store.ingest_async(std::move(ne), std::move(cb)); };
  co_return co_await store::await_store<store::StoreResult<store::Ingested>>(std::move(commit));
}

}  // namespace asc_webhookd::apple
