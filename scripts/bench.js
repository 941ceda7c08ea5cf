#!/usr/bin/env node
// Runs one benchmark by name: npm run bench -- <name> [args]. Each prints one JSON object.
const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync } = require('node:fs');
const { join } = require('node:path');

const benchDir = join(__dirname, '..', 'bench');
const names = readdirSync(benchDir)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3));
const [name, ...args] = process.argv.slice(2);
if (!name || !existsSync(join(benchDir, `${name}.ts`))) {
  console.error(`usage: npm run bench -- <name> [args]\nbenchmarks: ${names.join(', ')}`);
  process.exit(2);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', join(benchDir, `${name}.ts`), ...args], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
