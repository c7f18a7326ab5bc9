# shellcheck shell=bash
# fetch-url.sh: sourced by scripts/fetch-grammars.sh and scripts/fetch-win-deps.sh (bash).
# vl_fetch URL FILE: download URL to FILE (atomically, through FILE.part). Behind a
# TLS-intercepting proxy whose CA this system lacks, the transport cannot be verified: it
# fetches again with --insecure and says so; the caller's pinned SHA256 decides either way.
vl_fetch() {
  local url=$1 out=$2
  echo "fetch: $url" >&2
  if ! curl -fsSL --retry 3 -o "$out.part" "$url" 2>"$out.err"; then
    if ! grep -qiE 'certificate|SSL' "$out.err"; then
      cat "$out.err" >&2
      rm -f "$out.err" "$out.part"
      return 1
    fi
    echo "fetch: TLS verification failed ($(head -c 120 "$out.err")); fetching unverified," \
      "the pinned SHA256 decides" >&2
    curl -fsSL --retry 3 --insecure -o "$out.part" "$url" || { rm -f "$out.err" "$out.part"; return 1; }
  fi
  rm -f "$out.err"
  mv "$out.part" "$out"
}
