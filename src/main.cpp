#include "asc_webhookd/app/cli.hpp"

#include <malloc.h>

#include <iostream>

int main(int argc, char** argv) {
  // glibc gives freed memory back with madvise as soon as 128 KiB sit free
  // at the top of an arena; under load that is a syscall every few requests
  // (7% of the daemon's CPU in bench/). Keep up to 32 MiB instead.
  mallopt(M_TRIM_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
  return asc_webhookd::app::run_cli(std::span<char*>(argv, static_cast<std::size_t>(argc)), std::cout, std::cerr);
}
