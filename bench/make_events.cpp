// Writes N distinct, correctly signed buildUploadStateUpdated events, one per
// line as "<x-apple-signature>\t<body>", for the wrk load script.
#include "asc_webhookd/ingest/signature.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: make_events N SECRET OUT\n");
    return 2;
  }
  long n = std::atol(argv[1]);
  std::string secret = argv[2];
  FILE* out = std::fopen(argv[3], "w");
  if (!out) return 3;
  for (long i = 0; i < n; ++i) {
    std::string id = "bench-" + std::to_string(i);
    std::string body = R"({"data":{"type":"buildUploadStateUpdated","id":")" + id +
                       R"(","version":1,"attributes":{"oldState":"PROCESSING","newState":"COMPLETE"},)"
                       R"("relationships":{"instance":{"data":{"type":"buildUploads","id":"upload-)" +
                       std::to_string(i % 1000) + R"("}}}}})";
    std::fprintf(out, "%s\t%s\n", asc_webhookd::ingest::sign(secret, body).c_str(), body.c_str());
  }
  std::fclose(out);
  return 0;
}
