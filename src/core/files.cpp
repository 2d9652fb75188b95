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

// Why a file of this mode is not read ("" for a regular file). A FIFO would
// block the reader until someone writes to it (a reload stalled the whole
// daemon so), a device never ends, a socket cannot be opened.
std::string not_regular(mode_t mode) {
  if (S_ISREG(mode)) return "";
  if (S_ISDIR(mode)) return "it is a directory, not a file";
  if (S_ISFIFO(mode)) return "it is a FIFO (named pipe), not a regular file";
  if (S_ISSOCK(mode)) return "it is a socket, not a regular file";
  if (S_ISCHR(mode)) return "it is a character device, not a regular file";
  if (S_ISBLK(mode)) return "it is a block device, not a regular file";
  return "it is not a regular file";
}
}  // namespace

Result<std::string, Error> read_bounded_file(const std::string& path, std::size_t max_bytes) {
  // Looked at before opening (opening a FIFO for reading, or a device, can
  // block or act) and again after (the path may have changed in between);
  // O_NONBLOCK makes the open itself never wait.
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (auto why = not_regular(st.st_mode); !why.empty()) return Error{why};
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return Error{std::strerror(errno)};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error{not_regular(st.st_mode)};
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
