#!/usr/bin/env bash
# Installs what the project needs on a fresh machine of this kind; fast no-op when all is there.
# npm packages from the lock file; Debian packages for the host side (runit, haproxy; iproute2 for the live
# fleet's network namespaces), user-data validation (cloud-init, shellcheck), benchmarks (wrk) and the test
# that runs the pull request jobs as GitHub's unprivileged runner user (sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(runit cloud-init haproxy wrk shellcheck sudo iproute2)
COMMANDS=(runsvdir cloud-init haproxy wrk shellcheck sudo ip)

if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

missing=()
for i in "${!COMMANDS[@]}"; do
  command -v "${COMMANDS[$i]}" >/dev/null 2>&1 || missing+=("${DEBIAN_PACKAGES[$i]}")
done
if ((${#missing[@]} > 0)); then
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "setup: missing Debian packages: ${missing[*]}; install them as root: apt-get install ${missing[*]}" >&2
      exit 1
    fi
    sudo=(sudo)
  fi
  echo "setup: installing Debian packages: ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v terraform >/dev/null 2>&1; then
  echo "setup: terraform (>= 1.10) is not on PATH; install it from HashiCorp's releases" >&2
  exit 1
fi
