#!/usr/bin/env bash
# Installs what the tests need beyond npm:
#   - openssl, which the TLS tests use to make their certificates (test/helpers/certificates.ts);
#   - Debian's `prometheus` package (/usr/bin/prometheus and promtool), which the metrics tests run for real
#     (test/integration/observability/prometheus.test.ts, test/helpers/prometheus.ts).
# Idempotent and quiet: does nothing when every tool is already on PATH; otherwise one apt-get update and one
# apt-get install (Debian/Ubuntu), with sudo when not root. Exits non-zero only when a tool is missing afterwards.
# The tests start their own Prometheus on an ephemeral loopback port, so the package's own service must not run:
# its start is refused while installing (policy-rc.d, which both invoke-rc.d and deb-systemd-invoke honour), and
# anything that started anyway is stopped and disabled afterwards.
set -u

missing=()
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
{ command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; } || missing+=(prometheus)
[ ${#missing[@]} -eq 0 ] && exit 0

if command -v apt-get >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo -n"
  export DEBIAN_FRONTEND=noninteractive
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  # A machine that already refuses service starts (as most container images do) keeps its own policy.
  if [ ! -e "$policy" ] && printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null 2>&1; then
    $sudo chmod 755 "$policy" && own_policy=1
  fi
  { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >/dev/null 2>&1
  [ "$own_policy" = 1 ] && $sudo rm -f "$policy"
  if [[ " ${missing[*]} " == *" prometheus "* ]]; then
    if [ -d /run/systemd/system ]; then
      $sudo systemctl disable --now prometheus.service >/dev/null 2>&1
    elif [ -x /etc/init.d/prometheus ]; then
      $sudo /etc/init.d/prometheus stop >/dev/null 2>&1
      $sudo update-rc.d prometheus disable >/dev/null 2>&1
    fi
  fi
fi

status=0
for tool in openssl prometheus promtool; do
  command -v "$tool" >/dev/null 2>&1 || { echo "install-test-deps: $tool is missing and could not be installed" >&2; status=1; }
done
exit "$status"
