#pragma once
// A throw-away certificate authority and a server certificate for
// localhost/127.0.0.1/::1, made with the openssl command line in a temp dir.
#include "support/temp_dir.hpp"

#include <string>

namespace asc_webhookd::test {

class TestCa {
public:
  TestCa();
  std::string ca_file() const { return dir_.file("ca.pem"); }
  // Issues a server certificate; `name` distinguishes several (reload tests).
  struct Issued {
    std::string cert_file;
    std::string key_file;
  };
  Issued issue(const std::string& name = "server") const;

private:
  TempDir dir_;
};

}  // namespace asc_webhookd::test
