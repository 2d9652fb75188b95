#include "support/faulty_vfs.hpp"

#include <sqlite3.h>

#include <cstdlib>
#include <cstring>
#include <condition_variable>
#include <mutex>

namespace asc_webhookd::test {
namespace {

std::atomic<bool> g_fail{false};
std::atomic<bool> g_fail_syncs{false};
std::mutex g_gate_mutex;
std::condition_variable g_gate_cv;
bool g_gate_closed = false;
std::atomic<int> g_waiting_syncs{0};
sqlite3_vfs* g_base = nullptr;
sqlite3_vfs g_vfs;
sqlite3_io_methods g_methods;

struct FaultyFile {
  sqlite3_file base;  // must be first: SQLite sees a sqlite3_file*
  sqlite3_file* real;
};

sqlite3_file* real(sqlite3_file* f) { return reinterpret_cast<FaultyFile*>(f)->real; }

int x_close(sqlite3_file* f) {
  int rc = real(f)->pMethods ? real(f)->pMethods->xClose(real(f)) : SQLITE_OK;
  std::free(real(f));
  return rc;
}
int x_read(sqlite3_file* f, void* p, int n, sqlite3_int64 o) { return real(f)->pMethods->xRead(real(f), p, n, o); }
int x_write(sqlite3_file* f, const void* p, int n, sqlite3_int64 o) {
  if (g_fail) return SQLITE_FULL;
  return real(f)->pMethods->xWrite(real(f), p, n, o);
}
int x_truncate(sqlite3_file* f, sqlite3_int64 s) {
  if (g_fail) return SQLITE_IOERR_TRUNCATE;
  return real(f)->pMethods->xTruncate(real(f), s);
}
int x_sync(sqlite3_file* f, int flags) {
  {
    std::unique_lock lock(g_gate_mutex);
    ++g_waiting_syncs;
    g_gate_cv.wait(lock, [] { return !g_gate_closed; });
    --g_waiting_syncs;
  }
  if (g_fail || g_fail_syncs) return SQLITE_IOERR_FSYNC;
  return real(f)->pMethods->xSync(real(f), flags);
}
int x_size(sqlite3_file* f, sqlite3_int64* s) { return real(f)->pMethods->xFileSize(real(f), s); }
int x_lock(sqlite3_file* f, int l) { return real(f)->pMethods->xLock(real(f), l); }
int x_unlock(sqlite3_file* f, int l) { return real(f)->pMethods->xUnlock(real(f), l); }
int x_check(sqlite3_file* f, int* r) { return real(f)->pMethods->xCheckReservedLock(real(f), r); }
int x_ctl(sqlite3_file* f, int op, void* a) { return real(f)->pMethods->xFileControl(real(f), op, a); }
int x_sector(sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); }
int x_caps(sqlite3_file* f) { return real(f)->pMethods->xDeviceCharacteristics(real(f)); }
int x_shm_map(sqlite3_file* f, int i, int sz, int ext, void volatile** pp) {
  return real(f)->pMethods->xShmMap(real(f), i, sz, ext, pp);
}
int x_shm_lock(sqlite3_file* f, int o, int n, int fl) { return real(f)->pMethods->xShmLock(real(f), o, n, fl); }
void x_shm_barrier(sqlite3_file* f) { real(f)->pMethods->xShmBarrier(real(f)); }
int x_shm_unmap(sqlite3_file* f, int d) { return real(f)->pMethods->xShmUnmap(real(f), d); }

int x_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  auto* ff = reinterpret_cast<FaultyFile*>(f);
  ff->real = static_cast<sqlite3_file*>(std::calloc(1, static_cast<std::size_t>(g_base->szOsFile)));
  int rc = g_base->xOpen(g_base, name, ff->real, flags, out_flags);
  ff->base.pMethods = rc == SQLITE_OK ? &g_methods : nullptr;
  if (rc != SQLITE_OK) {
    std::free(ff->real);
    ff->real = nullptr;
  }
  return rc;
}

}  // namespace

void register_faulty_vfs() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_base = sqlite3_vfs_find(nullptr);
    g_vfs = *g_base;
    g_vfs.zName = "faulty";
    g_vfs.szOsFile = sizeof(FaultyFile);
    g_vfs.xOpen = x_open;
    g_vfs.pNext = nullptr;
    std::memset(&g_methods, 0, sizeof g_methods);
    g_methods.iVersion = 2;
    g_methods.xClose = x_close;
    g_methods.xRead = x_read;
    g_methods.xWrite = x_write;
    g_methods.xTruncate = x_truncate;
    g_methods.xSync = x_sync;
    g_methods.xFileSize = x_size;
    g_methods.xLock = x_lock;
    g_methods.xUnlock = x_unlock;
    g_methods.xCheckReservedLock = x_check;
    g_methods.xFileControl = x_ctl;
    g_methods.xSectorSize = x_sector;
    g_methods.xDeviceCharacteristics = x_caps;
    g_methods.xShmMap = x_shm_map;
    g_methods.xShmLock = x_shm_lock;
    g_methods.xShmBarrier = x_shm_barrier;
    g_methods.xShmUnmap = x_shm_unmap;
    sqlite3_vfs_register(&g_vfs, 0);
  });
}

void set_fail_writes(bool on) { g_fail = on; }
void set_fail_syncs(bool on) { g_fail_syncs = on; }
void hold_syncs(bool on) {
  {
    std::lock_guard lock(g_gate_mutex);
    g_gate_closed = on;
  }
  g_gate_cv.notify_all();
}
int held_syncs() { return g_waiting_syncs; }

}  // namespace asc_webhookd::test
