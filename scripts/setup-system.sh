#!/usr/bin/env bash
# Installs the system pieces m4kit's GPU test suites need on Debian bookworm:
#  - Mesa >= 24 lavapipe (bookworm-backports) for Node+Dawn and Deno WebGPU on CPU
#  - Debian chromium (SwiftShader WebGPU) for the browser suite
#  - Debian clickhouse-server for the distributed-engine test (tests/sdk/clickhouse-distributed.test.ts)
# Idempotent; skips what is already present. Needs root (or sudo).
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

# ClickHouse: the test starts and stops its own two server processes; no service is needed
if [ ! -x /usr/sbin/clickhouse-server ] && ! command -v clickhouse-server >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -o Acquire::Retries=3 -qq || $SUDO apt-get update -o Acquire::Retries=3
  $SUDO apt-get install -y -qq -o Acquire::Retries=3 --no-install-recommends clickhouse-server \
    || echo "[setup-system] clickhouse-server could not be installed: the distributed-engine test will skip"
fi

need=0
dpkg -s mesa-vulkan-drivers >/dev/null 2>&1 || need=1
if dpkg -s mesa-vulkan-drivers >/dev/null 2>&1; then
  ver=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)
  case "$ver" in 2[4-9].*|[3-9][0-9].*) ;; *) need=1 ;; esac
fi
[ -x /usr/bin/chromium ] || need=1
if [ "$need" = 0 ]; then echo "[setup-system] lavapipe and chromium already installed"; exit 0; fi

if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "deb http://deb.debian.org/debian bookworm-backports main" | $SUDO tee /etc/apt/sources.list.d/m4kit-backports.list >/dev/null
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -o Acquire::Retries=3 -qq || $SUDO apt-get update -o Acquire::Retries=3
$SUDO apt-get install -y -qq -o Acquire::Retries=3 --no-install-recommends -t bookworm-backports \
  mesa-vulkan-drivers libvulkan1
$SUDO apt-get install -y -qq -o Acquire::Retries=3 --no-install-recommends chromium fonts-liberation
echo "[setup-system] mesa $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers), $(/usr/bin/chromium --version 2>/dev/null || echo chromium?)"
