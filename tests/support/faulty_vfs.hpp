#pragma once
// A SQLite VFS named "faulty" that forwards to the default VFS, except that
// while fail_writes() is on, every write and sync of the database and its
// WAL fails with SQLITE_FULL, as on a full disk.
#include <atomic>

namespace asc_webhookd::test {

void register_faulty_vfs();  // idempotent
void set_fail_writes(bool on);

}  // namespace asc_webhookd::test
