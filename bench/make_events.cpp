// Writes N distinct, correctly signed buildUploadStateUpdated events, one per
// line as "<x-apple-signature>\t<body>", for the wrk load script.
#include "asc_webhookd/ingest/signature.hpp"

#include <cstdio>
#include <random>
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
  // Ids as Apple's: random UUIDs (the dedupe index sees random keys, as in
  // production), from a fixed seed so every run posts the same events.
  std::mt19937_64 random(20251);
  auto uuid = [&random] {
    char b[37];
    const auto hi = random(), lo = random();
    std::snprintf(b, sizeof b, "%08llx-%04llx-%04llx-%04llx-%012llx", (unsigned long long)(hi >> 32),
                  (unsigned long long)((hi >> 16) & 0xffff), (unsigned long long)(hi & 0xffff),
                  (unsigned long long)(lo >> 48), (unsigned long long)(lo & 0xffffffffffffULL));
    return std::string(b);
  };
  for (long i = 0; i < n; ++i) {
    std::string id = uuid();
    std::string body = R"({"data":{"type":"buildUploadStateUpdated","id":")" + id +
                       R"(","version":1,"attributes":{"oldState":"PROCESSING","newState":"COMPLETE",)"
                       R"("timestamp":"2026-12-04T18:30:00.123Z"},)"
                       R"("relationships":{"instance":{"data":{"type":"buildUploads","id":"upload-)" +
                       std::to_string(i % 1000) + R"("}}}}})";
    std::fprintf(out, "%s\t%s\n", asc_webhookd::ingest::sign(secret, body).c_str(), body.c_str());
  }
  std::fclose(out);
  return 0;
}
