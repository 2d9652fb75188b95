#pragma once
// Awaiting the store from a coroutine: the store calls back on its own
// thread; this hops back to the awaiting coroutine's executor, and keeps
// that executor's io_context from running out of work meanwhile.
#include "asc_webhookd/store/store.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>

namespace asc_webhookd::store {

// `start(callback)` begins the store call; the coroutine resumes with the
// value the store passes to `callback`.
template <class R, class Start>
boost::asio::awaitable<R> await_store(Start start) {
  namespace net = boost::asio;
  auto ex = co_await net::this_coro::executor;
  // Named, not written inside the co_await: GCC 12 miscompiles capturing
  // lambdas in co_await expressions (gcc bug 107288).
  auto initiate = [ex, start = std::move(start)](auto handler) mutable {
    auto h = std::make_shared<decltype(handler)>(std::move(handler));
    auto tracked = net::prefer(ex, net::execution::outstanding_work.tracked);
    start([h, tracked](R r) mutable {
      net::post(tracked, [h, r = std::move(r)]() mutable { (*h)(std::move(r)); });
    });
  };
  R result = co_await net::async_initiate<decltype(net::use_awaitable), void(R)>(std::move(initiate), net::use_awaitable);
  co_return result;
}

}  // namespace asc_webhookd::store
