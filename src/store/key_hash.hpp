#pragma once
// Internal: a 64-bit FNV-1a hash of a text key (an order key, an instance),
// for the indexes whose keys are random. An 8-byte integer key makes an
// index several times smaller than the text it stands for (order keys are
// ~60 bytes of "webhook|type|uuid|rule|n"), so each random insert touches
// fewer, more often cached pages. Stable forever: stored hashes are compared
// with ones computed by later versions. A collision only makes two keys
// share what the hash indexes (one order, one history lookup that the
// query then filters by the text), never a wrong answer.
#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace asc_webhookd::store {

inline std::int64_t key_hash(std::string_view key) {
  std::uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : key) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return static_cast<std::int64_t>(h);
}

// The instance key history is looked up by.
inline std::int64_t instance_hash(std::string_view webhook, std::string_view instance_id) {
  std::string key;
  key.reserve(webhook.size() + 1 + instance_id.size());
  key.append(webhook).append("|").append(instance_id);
  return key_hash(key);
}

// key_hash(text) in SQL, for the migration that adds the hashed columns.
inline int register_key_hash(sqlite3* db) {
  return sqlite3_create_function(
      db, "key_hash", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
      [](sqlite3_context* ctx, int, sqlite3_value** argv) {
        const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
        const auto size = static_cast<std::size_t>(sqlite3_value_bytes(argv[0]));
        if (!text) return sqlite3_result_null(ctx);
        sqlite3_result_int64(ctx, key_hash(std::string_view(text, size)));
      },
      nullptr, nullptr);
}

}  // namespace asc_webhookd::store
