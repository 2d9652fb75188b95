#pragma once
// A directory under $TMPDIR removed (recursively) when the test ends.
#include <filesystem>
#include <fstream>
#include <string>

namespace asc_webhookd::test {

class TempDir {
public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "asc-webhookd-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string write(const std::string& name, const std::string& content) const {
    auto p = file(name);
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }

private:
  std::filesystem::path path_;
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline std::string fixture(const std::string& relative) { return read_file(std::string(ASC_WEBHOOKD_FIXTURES) + "/" + relative); }

}  // namespace asc_webhookd::test
