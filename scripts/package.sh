#!/usr/bin/env bash
# Builds the Debian package asc-webhookd_VERSION_ARCH.deb into build/package/package/.
#
# CPack's DEB generator, not dpkg-buildpackage: the package is made from the
# same install rules as `cmake --install` (scripts/package/install.cmake), so
# there is no debian/ tree to keep in step with CMake; dpkg-shlibdeps still
# computes Depends:, and the maintainer scripts and conffiles list live in
# scripts/package/. Built with Debian's hardening flags (dpkg-buildflags),
# tests off, installed under /usr.
# Usage: scripts/package.sh   (prints the path of the .deb on its last line)
. "$(dirname "$0")/lib/strict.sh"
cd "$(dirname "$0")/.."
scripts/deps.sh --package

export DEB_BUILD_MAINT_OPTIONS=hardening=+all
CXXFLAGS="$(dpkg-buildflags --get CPPFLAGS) $(dpkg-buildflags --get CXXFLAGS)"
LDFLAGS="$(dpkg-buildflags --get LDFLAGS)"
export CXXFLAGS LDFLAGS
cmake -S . -B build/package -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
  -DASC_WEBHOOKD_TESTS=OFF >/dev/null
# The build's own progress goes to stderr (stdout's last line is the .deb's
# path), with a line every 20 s while one file takes long.
heartbeat "building build/package" cmake --build build/package -j "$(nproc)" >&2
rm -rf build/package/package
(cd build/package && cpack -G DEB >/dev/null)
deb=$(ls build/package/package/asc-webhookd_*.deb)
echo "$deb"
