#!/usr/bin/env node
// Runs one benchmark by name: npm run bench -- <name> [args]. Each prints one JSON object.
// A benchmark is a top-level bench/*.ts file, one per claim; what they share (statistics, servers,
// clients) lives under bench/lib/ and the parts of one benchmark under bench/<name>/, neither of
// which is runnable by name.
const { spawnSync } = require('node:child_process');
const { readdirSync } = require('node:fs');
const { join } = require('node:path');

const benchDir = join(__dirname, '..', 'bench');
const names = readdirSync(benchDir, { withFileTypes: true })
  .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
  .map((entry) => entry.name.slice(0, -3));
const [name, ...args] = process.argv.slice(2);
if (!name || !names.includes(name)) {
  console.error(`usage: npm run bench -- <name> [args]\nbenchmarks: ${names.join(', ')}`);
  process.exit(2);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', join(benchDir, `${name}.ts`), ...args], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
