#pragma once
// The small values every part of the configuration is made of.
#include <string>

namespace asc_webhookd::config {

struct SourcePos {
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;  // 1-based
};

// A string that is a Mustache template, kept with where it was written so the
// template compiler can report errors at the right line.
struct Template {
  std::string text;
  SourcePos pos;
};

}  // namespace asc_webhookd::config
