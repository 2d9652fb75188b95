# debian_mirror [APT_ETC=/etc/apt]: the Debian mirror this machine's apt uses,
# from either layout a Debian 12 system may have: deb822
# sources.list.d/*.sources ("URIs: …", what the cloud images write) or the
# one-line sources.list ("deb URL SUITE …", what debootstrap and often the
# installer write). Falls back to deb.debian.org when neither names one.
debian_mirror() {
  local etc=${1:-/etc/apt} uri=""
  local sources=()
  shopt -s nullglob
  sources=("$etc"/sources.list.d/*.sources)
  shopt -u nullglob
  if [ ${#sources[@]} -gt 0 ]; then
    uri=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' "${sources[@]}" | grep -v security | head -1 || true)
  fi
  if [ -z "$uri" ] && [ -f "$etc/sources.list" ]; then
    uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' "$etc/sources.list" |
      grep -v security | head -1 || true)
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}
