#!/usr/bin/env bash
# Runs `simulate` for every example config over every fixture event, with and
# without each App Store Connect answer, and prints it all: diff the output of
# two builds to show that a reshaping changed nothing a user sees.
#   scripts/simulate-examples.sh [BINARY] > out.txt
# Secrets are dummies; the GitHub App key is generated once per run, so lines
# that depend on it (none are printed: they are masked) cannot differ.
. "$(dirname "$0")/lib/strict.sh"
cd "$(dirname "$0")/.."
bin=${1:-build/release/src/asc-webhookd}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/creds"
openssl genrsa -out "$tmp/creds/github-app.pem" 2048 2>/dev/null
export ASC_WEBHOOK_SECRET=demo-webhook-secret GITHUB_TOKEN=ghp_DUMMY JIRA_TOKEN=DUMMY \
  SLACK_RELEASES_URL=https://hooks.slack.com/services/T0/B0/DUMMY SLACK_BOT_TOKEN=xoxb-DUMMY \
  SLACK_FEEDBACK_URL=https://hooks.slack.com/services/T0/B1/DUMMY CREDENTIALS_DIRECTORY="$tmp/creds"
for cfg in config/examples/*.yaml; do
  for instance in "" tests/fixtures/api/*.json; do
    args=(simulate --config "$cfg")
    [ -n "$instance" ] && args+=(--instance "$instance")
    echo "######## $cfg ${instance:-(no instance)}"
    "$bin" "${args[@]}" tests/fixtures/events/*.json tests/fixtures/events/seed/*.json 2>&1 || echo "exit $?"
  done
done
