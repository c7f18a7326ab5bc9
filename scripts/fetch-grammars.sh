#!/bin/bash
# fetch-grammars.sh: download the pinned tree-sitter runtime and grammars from the npm registry,
# verify each tarball against scripts/grammars.lock, and extract only src/, queries/ and LICENSE.
#
#   bash scripts/fetch-grammars.sh VENDOR_DIR [CACHE_DIR]
#
# Tarballs are cached in CACHE_DIR (default $VL_TARBALL_CACHE, else VENDOR_DIR/../tgz-cache), so a
# second build dir or an offline rebuild reuses them. Writes VENDOR_DIR/.stamp when done.
# Nothing fetched here is ever committed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lock="$here/grammars.lock"
# shellcheck source=scripts/fetch-url.sh
. "$here/fetch-url.sh"
vendor=${1:?usage: fetch-grammars.sh VENDOR_DIR [CACHE_DIR]}
cache=${2:-${VL_TARBALL_CACHE:-$vendor/../tgz-cache}}
registry=${NPM_REGISTRY:-https://registry.npmjs.org}
mkdir -p "$vendor" "$cache"

while read -r dir pkg ver sum; do
  case "$dir" in ''|'#'*) continue ;; esac
  base=${pkg##*/}
  tgz="$cache/$base-$ver.tgz"
  if [ ! -f "$tgz" ] || ! echo "$sum  $tgz" | sha256sum --quiet -c - >/dev/null 2>&1; then
    vl_fetch "$registry/$pkg/-/$base-$ver.tgz" "$tgz" || exit 1
  fi
  if ! echo "$sum  $tgz" | sha256sum --quiet -c - >/dev/null 2>&1; then
    echo "fetch-grammars: checksum mismatch for $pkg@$ver ($tgz)" >&2
    rm -f "$tgz"
    exit 1
  fi
  out="$vendor/$dir"
  rm -rf "$out"
  mkdir -p "$out"
  # Keep package/src, package/<lang>/src (typescript, tsx), package/common (their shared scanner
  # header), package/queries, LICENSE, and the runtime's package/vendor/tree-sitter/lib/{src,include}.
  tar -tzf "$tgz" | grep -E '^package/(([a-z]+/)?src/|common/|queries/|LICENSE|vendor/tree-sitter/(lib/(src|include)/|LICENSE))' \
    | grep -vE '\.(cc|wasm|node)$|/(grammar|node-types)\.json$' > "$out.list"
  tar -xzf "$tgz" -C "$out" --strip-components=1 -T "$out.list"
  rm -f "$out.list"
done < "$lock"
touch "$vendor/.stamp"
echo "fetch-grammars: ok ($vendor)" >&2
