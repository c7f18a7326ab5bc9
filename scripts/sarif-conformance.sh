#!/usr/bin/env bash
# sarif-conformance.sh BUILD: validate `victor-lua scan --format sarif` against the SARIF 2.1.0
# JSON schema (rtm.5, as shipped in the npm package @microsoft/jest-sarif at a pinned version) with
# ajv 6 (draft-04), both installed into BUILD/peers. Scans a generated tree with planted fake
# secrets (and a clean one: an empty results array). Part of `make conformance`; needs node and npm.
set -euo pipefail
build=${1:-build}
peers="$build/peers"
JEST_SARIF_VERSION=${JEST_SARIF_VERSION:-1.0.0-beta.0}
AJV_VERSION=${AJV_VERSION:-6.12.6}
mkdir -p "$peers"
if [ ! -f "$peers/node_modules/@microsoft/jest-sarif/package.json" ] || [ ! -f "$peers/node_modules/ajv/package.json" ]; then
  (cd "$peers" && npm install --no-audit --no-fund --silent "@microsoft/jest-sarif@$JEST_SARIF_VERSION" "ajv@$AJV_VERSION")
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/tree/src" "$tmp/clean"
rnd() { head -c 400 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c "$1"; }
printf 'TOKEN = "%s%s"\n' "gh""p_" "$(rnd 36)" > "$tmp/tree/src/app.py"
printf 'def f():\n    db_password = "%s"\n' "$(rnd 14)" > "$tmp/tree/src/db.py"
printf 'url = "postgresql://app:%s@db/x"\n' "$(rnd 16)" > "$tmp/tree/src/é file.py"
printf 'print("hello")\n' > "$tmp/clean/ok.py"
"$build/victor-lua" scan --format sarif "$tmp/tree" > "$tmp/findings.sarif" || [ $? -eq 1 ]
"$build/victor-lua" scan --format sarif "$tmp/clean" > "$tmp/clean.sarif"
NODE_PATH="$peers/node_modules" node - "$peers" "$tmp/findings.sarif" "$tmp/clean.sarif" <<'JS'
const fs = require("fs"), path = require("path");
const Ajv = require("ajv");
const peers = process.argv[2];
const schema = JSON.parse(fs.readFileSync(path.join(peers,
  "node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"), "utf8"));
const ajv = new Ajv({ schemaId: "auto", allErrors: true });
ajv.addMetaSchema(require("ajv/lib/refs/json-schema-draft-04.json"));
const validate = ajv.compile(schema);
let bad = 0;
for (const f of process.argv.slice(3)) {
  const doc = JSON.parse(fs.readFileSync(f, "utf8"));
  const ok = validate(doc);
  const n = doc.runs[0].results.length;
  console.log(`sarif-conformance: ${path.basename(f)}: ${ok ? "valid" : "INVALID"} (${n} results)`);
  if (!ok) { bad++; console.log(JSON.stringify(validate.errors, null, 2)); }
}
process.exit(bad ? 1 : 0);
JS
