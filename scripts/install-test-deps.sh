#!/usr/bin/env bash
# Installs what the tests need beyond npm: openssl, which the TLS tests use to make their certificates
# (test/helpers/certificates.ts). Idempotent and quiet: does nothing when openssl is already on PATH; otherwise
# apt-get (Debian/Ubuntu), with sudo when not root. Exits non-zero only when openssl is missing afterwards.
set -u
command -v openssl >/dev/null 2>&1 && exit 0
if command -v apt-get >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo -n"
  export DEBIAN_FRONTEND=noninteractive
  { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends openssl; } >/dev/null 2>&1
fi
command -v openssl >/dev/null 2>&1 || { echo "install-test-deps: openssl is missing and could not be installed" >&2; exit 1; }
