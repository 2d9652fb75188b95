#include "asc_webhookd/core/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace asc_webhookd {

namespace {
std::string size_text(std::size_t n) {
  return n % (1024 * 1024) == 0 ? std::to_string(n / (1024 * 1024)) + " MiB" : std::to_string(n / 1024) + " KiB";
}
}  // namespace

Result<std::string, Error> read_bounded_file(const std::string& path, std::size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{std::strerror(errno)};
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Error{"it is a directory, not a file"};
  }
  std::string out;
  char buf[16 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      ::close(fd);
      return Error{std::strerror(e)};
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > max_bytes) {  // a device (/dev/zero) or a file far too big
      ::close(fd);
      return Error{"it is larger than " + size_text(max_bytes) + " (is it the right file?)"};
    }
  }
  ::close(fd);
  return Result<std::string, Error>(boost::system::in_place_value, std::move(out));
}

}  // namespace asc_webhookd
