#include "asc_webhookd/app/cli.hpp"

#include <iostream>

int main(int argc, char** argv) {
  return asc_webhookd::app::run_cli(std::span<char*>(argv, static_cast<std::size_t>(argc)), std::cout, std::cerr);
}
