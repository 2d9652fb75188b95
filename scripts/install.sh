#!/usr/bin/env bash
# Installs asc-webhookd as a systemd service (run as root):
#   binary  → /usr/local/bin/asc-webhookd
#   unit    → /etc/systemd/system/asc-webhookd.service (DynamicUser, sandboxed)
#   config  → /etc/asc-webhookd/config.yaml (the example, only if none exists)
#   secrets → /etc/asc-webhookd/credentials/ (LoadCredential= sources, mode 0600)
# Then: edit the config, put secrets in place, `systemctl enable --now asc-webhookd`.
. "$(dirname "$0")/lib/strict.sh"
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake --preset release -DASC_WEBHOOKD_TESTS=OFF >/dev/null
cmake --build --preset release --target asc-webhookd docs
cmake --install build/release --prefix /usr/local --component Unspecified >/dev/null
install -D -m 0644 systemd/asc-webhookd.service /etc/systemd/system/asc-webhookd.service
install -d -m 0755 /etc/asc-webhookd
install -d -m 0700 /etc/asc-webhookd/credentials
if [ ! -f /etc/asc-webhookd/config.yaml ]; then
  # The example, with the webhook secret read from a systemd credential (as the package's).
  install -m 0644 /usr/local/share/asc-webhookd/installed-config.yaml /etc/asc-webhookd/config.yaml
fi
if [ ! -f /etc/asc-webhookd/credentials/ios_app_webhook_secret ]; then
  umask 077
  head -c 24 /dev/urandom | base64 > /etc/asc-webhookd/credentials/ios_app_webhook_secret
  echo "generated a webhook secret in /etc/asc-webhookd/credentials/ios_app_webhook_secret: enter it in App Store Connect"
fi
command -v systemctl >/dev/null && systemctl daemon-reload || true
echo "installed; start with: systemctl enable --now asc-webhookd"
