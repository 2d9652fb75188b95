#pragma once
// Reading a file the configuration names (the config itself, a ${file:}
// secret, a credential) with a bound: /dev/zero or a log file by mistake is
// an error naming the limit, not gigabytes of memory; a directory says so.
#include "asc_webhookd/core/result.hpp"

#include <cstddef>
#include <string>

namespace asc_webhookd {

inline constexpr std::size_t kMaxSecretFile = 64 * 1024;
inline constexpr std::size_t kMaxConfigFile = 4 * 1024 * 1024;

// The whole file, or why not, without the path ("it is a directory, not a
// file", "it is larger than 64 KiB …", "No such file or directory").
Result<std::string, Error> read_bounded_file(const std::string& path, std::size_t max_bytes);

}  // namespace asc_webhookd
