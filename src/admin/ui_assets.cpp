#include "ui_assets.hpp"

namespace asc_webhookd::admin {

const UiAsset* find_ui_asset(std::string_view path) {
  if (path == "/ui" || path == "/ui/") path = "/ui/index.html";
  for (std::size_t i = 0; i < kUiAssetCount; ++i)
    if (kUiAssets[i].path == path) return &kUiAssets[i];
  return nullptr;
}

}  // namespace asc_webhookd::admin
