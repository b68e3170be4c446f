#!/usr/bin/env bash
# Installs, from Debian's packages, what the build (`build`) or the tests (`test`) need and the
# machine lacks. Does nothing when everything is there.
set -euo pipefail
need=()
have() { command -v "$1" >/dev/null 2>&1; }
have java || need+=(openjdk-17-jdk-headless)
have mvn || need+=(maven)
have npm || need+=(nodejs npm)
if [ "${1:-build}" = test ]; then
  have nats-server || [ -x /usr/sbin/nats-server ] || need+=(nats-server)
  [ -x /usr/bin/chromium ] || need+=(chromium)
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
