#pragma once
// Names the calling thread (at most 15 characters), so `top -H`, `ps -L`
// and perf show which part of the daemon uses the CPU.
#include <pthread.h>

namespace asc_webhookd {

inline void name_this_thread(const char* name) { pthread_setname_np(pthread_self(), name); }

}  // namespace asc_webhookd
