import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import type { Command } from '../command';

const BENCH_RUNNER = path.join(__dirname, '..', '..', '..', 'scripts', 'bench.js');

/** `efficientbert bench <name> [args]`: the same runner as `npm run bench -- <name>`. */
export const benchCommand: Command = {
  summary: 'run a benchmark under bench/ (prints JSON; no name lists them)',
  async run(argv) {
    const result = spawnSync(process.execPath, [BENCH_RUNNER, ...argv], { stdio: 'inherit' });
    return result.status ?? 1;
  },
};
