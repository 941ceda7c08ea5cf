#!/usr/bin/env node
// Runs the test suites with Node's own runner. Node 20 has no glob support in `--test`, so the
// files are collected here. Usage: npm test [-- <path filter>...]
// The full run (no filter) typechecks and lints first, so the README's one test command is also
// what guards main in CI.
const { spawnSync } = require('node:child_process');
const { readdirSync, statSync } = require('node:fs');
const { join, relative } = require('node:path');

const root = join(__dirname, '..');
function collect(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return collect(path);
    return name.endsWith('.test.ts') ? [relative(root, path)] : [];
  });
}
const filters = process.argv.slice(2);
const files = collect(join(root, 'test'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
if (filters.length === 0) {
  for (const script of ['typecheck', 'lint']) {
    const step = spawnSync('npm', ['run', '--silent', script], { cwd: root, stdio: 'inherit' });
    if (step.status !== 0) {
      console.error(`npm test: '${script}' failed`);
      process.exit(step.status ?? 1);
    }
  }
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
