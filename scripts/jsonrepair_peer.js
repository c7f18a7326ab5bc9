// jsonrepair_peer.js: run the npm package jsonrepair (installed under PEERS) on the
// inputs of scripts/conformance.lua and time it. Usage:
//   node scripts/jsonrepair_peer.js PEERS INPUTS.json > RESULTS.json
// INPUTS.json: {cases: [{hex}], timings: [{name, hex, max_s}]}; inputs travel as hex
// because they may hold invalid UTF-8 (decoded here as Node decodes UTF-8: invalid
// bytes become U+FFFD, as they would for any JS caller).
// RESULTS.json: {version, cases: [{out} | {err}], timings: [{name, bytes, s, mb_per_s} | {name, skipped}]}
'use strict';
const path = require('path');
const { createRequire } = require('module');
const fs = require('fs');

const peers = path.resolve(process.argv[2]);
const req = createRequire(path.join(peers, 'peer.js'));
const { jsonrepair } = req('jsonrepair');
const version = JSON.parse(fs.readFileSync(path.join(peers, 'node_modules/jsonrepair/package.json'), 'utf8')).version;
const input = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const text = (hex) => Buffer.from(hex, 'hex').toString('utf8');

const cases = input.cases.map((c) => {
  try {
    return { out: Buffer.from(jsonrepair(text(c.hex)), 'utf8').toString('hex') };
  } catch (e) {
    return { err: String(e.message || e) };
  }
});

// Timings inside node: warm up, then repeat until 0.5 s (or max_s for one call).
const timings = [];
let skipRest = {};
for (const t of input.timings) {
  const family = t.name.replace(/[0-9.]+$/, '');
  if (skipRest[family]) { timings.push({ name: t.name, skipped: 'a smaller input took over ' + t.max_s + ' s' }); continue; }
  const s = text(t.hex);
  const bytes = Buffer.byteLength(s, 'utf8');
  let t0 = process.hrtime.bigint();
  try { jsonrepair(s); } catch (e) { /* timing only */ }
  let first = Number(process.hrtime.bigint() - t0) / 1e9;
  if (first > t.max_s) {
    timings.push({ name: t.name, bytes, s: first, mb_per_s: bytes / first / 1e6, runs: 1 });
    skipRest[family] = true;
    continue;
  }
  let n = 0;
  t0 = process.hrtime.bigint();
  let el = 0;
  while (el < 0.5) {
    try { jsonrepair(s); } catch (e) { /* timing only */ }
    n++;
    el = Number(process.hrtime.bigint() - t0) / 1e9;
  }
  timings.push({ name: t.name, bytes, s: el / n, mb_per_s: bytes * n / el / 1e6, runs: n });
}
process.stdout.write(JSON.stringify({ version, cases, timings }));
