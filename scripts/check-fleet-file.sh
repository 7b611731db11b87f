#!/usr/bin/env bash
# The workflows run when a file under regions/ changes; a fleet file elsewhere could change without a plan or
# a deploy. CLOUDRIM_CONFIG (a repository variable) must name an existing file under regions/, or be unset.
set -euo pipefail
config="${CLOUDRIM_CONFIG:-}"
if [[ -z "$config" ]]; then
  echo "CLOUDRIM_CONFIG is unset: the fleet is regions/default.ts"
  exit 0
fi
if [[ "$config" != regions/* || "$config" == *..* ]]; then
  echo "::error::CLOUDRIM_CONFIG=$config is outside regions/, so a change to it would run neither plan nor deploy; move the file under regions/ and update the repository variable" >&2
  exit 1
fi
if [[ ! -f "$config" ]]; then
  echo "::error::CLOUDRIM_CONFIG=$config does not exist in this commit" >&2
  exit 1
fi
echo "the fleet is $config"
