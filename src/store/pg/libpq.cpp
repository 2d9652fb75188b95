#include "libpq.hpp"

#include <dlfcn.h>

#include <mutex>

namespace asc_webhookd::store::pg {

const Libpq* load_libpq(std::string* error) {
  static std::once_flag once;
  static Libpq table;
  static const Libpq* loaded = nullptr;
  static std::string why;
  std::call_once(once, [] {
    void* h = ::dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      why = std::string("PostgreSQL's client library cannot be loaded (Debian: apt-get install libpq5): ") + ::dlerror();
      return;
    }
#define ASC_WEBHOOKD_LIBPQ_RESOLVE(name)                                        \
  table.name = reinterpret_cast<decltype(table.name)>(::dlsym(h, #name));        \
  if (!table.name) {                                                            \
    why = "PostgreSQL's client library libpq.so.5 has no " #name ": too old"; \
    return;                                                                     \
  }
    ASC_WEBHOOKD_LIBPQ_FUNCTIONS(ASC_WEBHOOKD_LIBPQ_RESOLVE)
#undef ASC_WEBHOOKD_LIBPQ_RESOLVE
    loaded = &table;  // the library stays loaded for the process's life
  });
  if (!loaded && error) *error = why;
  return loaded;
}

}  // namespace asc_webhookd::store::pg
