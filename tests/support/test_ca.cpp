#include "support/test_ca.hpp"

#include <cstdlib>
#include <stdexcept>

namespace asc_webhookd::test {
namespace {

void run(const std::string& cmd) {
  if (std::system((cmd + " >/dev/null 2>&1").c_str()) != 0) throw std::runtime_error("failed: " + cmd);
}

}  // namespace

TestCa::TestCa() {
  auto d = dir_.path().string();
  run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj '/CN=asc-webhookd test CA'"
      " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign"
      " -keyout " + d + "/ca.key -out " + d + "/ca.pem");
}

TestCa::Issued TestCa::issue(const std::string& name) const {
  auto d = dir_.path().string();
  dir_.write(name + ".ext", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n");
  run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj '/CN=" + name + "' -keyout " + d +
      "/" + name + ".key -out " + d + "/" + name + ".csr");
  run("openssl x509 -req -days 2 -in " + d + "/" + name + ".csr -CA " + d + "/ca.pem -CAkey " + d +
      "/ca.key -CAcreateserial -extfile " + d + "/" + name + ".ext -out " + d + "/" + name + ".pem");
  return {d + "/" + name + ".pem", d + "/" + name + ".key"};
}

}  // namespace asc_webhookd::test
