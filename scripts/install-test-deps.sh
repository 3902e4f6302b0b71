#!/usr/bin/env bash
# Installs what the tests need beyond npm:
#   - openssl, which the TLS tests use to make their certificates (test/helpers/certificates.ts);
#   - Debian's `prometheus` package (/usr/bin/prometheus and promtool), which the metrics tests run for real
#     (test/integration/observability/prometheus.test.ts, test/helpers/prometheus.ts);
#   - Debian's `nginx` (its build has the gRPC proxy module), which the scale-out test runs in front of
#     three replicas with the shipped deploy/nginx/amaas.conf (test/integration/scale-out/) and checks with `nginx -t`.
# Idempotent and quiet: does nothing when every tool is already on PATH; otherwise one apt-get update and one
# apt-get install (Debian/Ubuntu), with sudo when not root. Exits non-zero only when a tool is missing afterwards.
# The tests start their own Prometheus on an ephemeral loopback port, so the package's own service must not run:
# its start is refused while installing (policy-rc.d, which both invoke-rc.d and deb-systemd-invoke honour), and
# anything that started anyway is stopped and disabled afterwards.
set -u

missing=()
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
{ command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; } || missing+=(prometheus)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
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
  for service in prometheus nginx; do
    [[ " ${missing[*]} " == *" ${service}"* ]] || continue
    if [ -d /run/systemd/system ]; then
      $sudo systemctl disable --now "${service}.service" >/dev/null 2>&1
    elif [ -x "/etc/init.d/${service}" ]; then
      $sudo "/etc/init.d/${service}" stop >/dev/null 2>&1
      $sudo update-rc.d "${service}" disable >/dev/null 2>&1
    fi
  done
fi

status=0
for tool in openssl prometheus promtool nginx; do
  { command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ]; } || { echo "install-test-deps: $tool is missing and could not be installed" >&2; status=1; }
done
exit "$status"
