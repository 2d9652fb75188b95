#!/usr/bin/env bash
# scripts/lib/apt_mirror.sh finds the mirror in both layouts a Debian 12
# system may have (package_test.sh once read only the deb822 one, and the
# test command failed without a word on a debootstrap'd machine).
. "$(dirname "$0")/../../scripts/lib/strict.sh"
. "$(dirname "$0")/../../scripts/lib/apt_mirror.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
expect() {  # NAME WANT GOT
  if [ "$2" = "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $1: want $2, got $3"; fi
}

mkdir -p "$tmp/deb822/sources.list.d"
cat > "$tmp/deb822/sources.list.d/debian.sources" <<'SRC'
Types: deb
URIs: http://mirror.example.org/debian
Suites: bookworm bookworm-updates
Components: main

Types: deb
URIs: http://security.debian.org/debian-security
Suites: bookworm-security
Components: main
SRC
expect deb822 http://mirror.example.org/debian "$(debian_mirror "$tmp/deb822")"

mkdir -p "$tmp/oneline/sources.list.d"
cat > "$tmp/oneline/sources.list" <<'SRC'
# debootstrap writes one line
deb [arch=amd64] http://ftp.example.net/debian bookworm main
deb http://security.debian.org/debian-security bookworm-security main
SRC
expect one-line http://ftp.example.net/debian "$(debian_mirror "$tmp/oneline")"

mkdir -p "$tmp/none"
expect neither http://deb.debian.org/debian "$(debian_mirror "$tmp/none")"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
