#pragma once
// A SQLite VFS named "faulty" that forwards to the default VFS, except that
// while fail_writes() is on, every write and sync of the database and its
// WAL fails with SQLITE_FULL, as on a full disk; while fail_syncs() is on,
// only fsyncs fail (SQLITE_IOERR_FSYNC), as on a failing device; while
// hold_syncs() is on, every fsync waits (a slow disk, frozen).
#include <atomic>

namespace asc_webhookd::test {

void register_faulty_vfs();  // idempotent
void set_fail_writes(bool on);
void set_fail_syncs(bool on);
void hold_syncs(bool on);
int held_syncs();  // fsyncs waiting at the gate now

}  // namespace asc_webhookd::test
