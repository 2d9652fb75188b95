#pragma once
// The console page's files, compiled into the binary from src/admin/ui/
// (embed_ui.cmake writes them into a generated source at build time).
#include <cstddef>
#include <string_view>

namespace asc_webhookd::admin {

struct UiAsset {
  std::string_view path;  // "/ui/console.js"
  std::string_view content_type;
  std::string_view body;
};

extern const UiAsset kUiAssets[];
extern const std::size_t kUiAssetCount;

// "/ui" and "/ui/" are the page itself; null for anything else not listed.
const UiAsset* find_ui_asset(std::string_view path);

}  // namespace asc_webhookd::admin
