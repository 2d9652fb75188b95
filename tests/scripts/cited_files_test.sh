#!/usr/bin/env bash
# Every file a comment cites exists in the repository, and the README is the
# front door: at most 300 lines, linking every page under docs/.
# A citation is a word ending in .md, .hpp, .cpp, .sh, .cmake or .yaml in a
# comment line of the code, tests, scripts or CMake files. With a folder it
# is looked up from the repository root, src/, include/asc_webhookd/,
# tests/, the integrations' and the store's folders, and the citing file's
# folder and its parent; without one, by name anywhere. Paths from / (an
# installed system's) are not the repository's and are left alone.
set -uo pipefail
cd "$(dirname "$0")/../.."
files=$(git ls-files 2>/dev/null || find . -type f | sed 's|^\./||')
bad=0
while IFS= read -r src; do
  dir=$(dirname "$src")
  # comment lines only: //, # and /* … */ starts (not #include / #pragma / #!)
  grep -nE '^\s*(//|#[^ipd!]|# |\*|/\*)|[^:]//' "$src" 2>/dev/null |
    grep -oP '(?<![\w./-])[A-Za-z0-9_.-][A-Za-z0-9_./-]*\.(md|hpp|cpp|sh|cmake|yaml)(?![\w.(])' | sort -u |
    while IFS= read -r cited; do
      case "$cited" in http*|*//*|.*|*://*) continue ;; esac
      found=
      if [[ "$cited" == */* ]]; then
        for root in . src include/asc_webhookd include/asc_webhookd/integrations src/integrations src/store tests "$dir" "$(dirname "$dir")"; do
          [ -e "$root/$cited" ] && { found=1; break; }
        done
      else
        grep -qE "(^|/)${cited//./\\.}$" <<<"$files" && found=1
      fi
      [ -n "$found" ] || echo "$src cites $cited, which is not in the repository"
    done
done < <(grep -E '\.(cpp|hpp|h|sh|cmake|py)$|CMakeLists\.txt$' <<<"$files" | grep -vE '^(tests/fixtures|build)/') | tee /tmp/cited_files_test.$$ 
if [ -s /tmp/cited_files_test.$$ ]; then bad=1; fi
rm -f /tmp/cited_files_test.$$

lines=$(wc -l < README.md)
if [ "$lines" -gt 300 ]; then echo "README.md has $lines lines (at most 300)"; bad=1; fi
for page in docs/*.md; do
  grep -q "](${page})" README.md || { echo "README.md does not link $page"; bad=1; }
done
if [ "$bad" = 0 ]; then echo "every cited file exists; README $lines lines, every docs/ page linked"; fi
exit "$bad"
