/**
 * Runs `bin/efficientbert` as a user would: piped (stdout is not a TTY) or inside a
 * pseudo-terminal made by util-linux `script` (no native npm modules), with a clean environment
 * so that no EFFICIENTBERT_* variable of the machine leaks into a test.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { freePort } from '../helpers/temporal-server';

export const CLI = path.join(__dirname, '..', '..', 'bin', 'efficientbert');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** process.env without the CLI's own settings, plus `env`. */
export function cliEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !k.startsWith('EFFICIENTBERT_') && k !== 'TEMPORAL_ADDRESS' && k !== 'NODE_TEST_CONTEXT',
    ),
  );
  return { ...clean, ...env };
}

/**
 * The environment of a whole local stack (`dev up`) of its own: state under `stateDir` and every
 * address on a free loopback port, so that it never meets a developer's stack or another test's.
 */
export async function isolatedStackEnv(stateDir: string): Promise<Record<string, string>> {
  return {
    EFFICIENTBERT_STATE_DIR: stateDir,
    TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
    EFFICIENTBERT_TEMPORAL_UI_PORT: String(await freePort()),
    EFFICIENTBERT_SEARCH_ADDRESS: `127.0.0.1:${await freePort()}`,
    EFFICIENTBERT_INFERENCE_ADDRESS: `127.0.0.1:${await freePort()}`,
    EFFICIENTBERT_INFERENCE_METRICS_PORT: String(await freePort()),
  };
}

function collect(
  command: string,
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number },
) {
  return new Promise<CliResult>((resolve, reject) => {
    const child = spawn(command, args, { env: cliEnv(opts.env), cwd: opts.cwd ?? process.cwd() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export function runCli(
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return collect(CLI, args, opts);
}

function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The CLI with a pseudo-terminal as stdout/stderr (both arrive together in `stdout`). */
export function runCliInPty(
  args: string[],
  opts: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CliResult> {
  const command = [CLI, ...args].map(shellQuote).join(' ');
  return collect('script', ['-qfec', command, '/dev/null'], opts);
}
