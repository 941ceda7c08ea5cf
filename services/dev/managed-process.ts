/**
 * Detached background processes tracked by pid files, so that a later `efficientbert` invocation
 * can find, probe and stop what an earlier one started. A pid file records the script the process
 * runs: after a reboot the pid may belong to someone else, and we must neither reuse nor kill that.
 */
import { spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import { connect } from 'node:net';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ProcessRecord {
  readonly pid: number;
  /** The entry script; must appear in the process's command line for the pid to count as ours. */
  readonly script: string;
  readonly address?: string;
  readonly startedAt: string;
  /** Settings the process was started with; a change means restart, not reuse. */
  readonly settings: Readonly<Record<string, string>>;
}

function recordFile(stateDir: string, name: string): string {
  return path.join(stateDir, `${name}.pid.json`);
}

export async function readRecord(stateDir: string, name: string): Promise<ProcessRecord | undefined> {
  try {
    return JSON.parse(await fs.readFile(recordFile(stateDir, name), 'utf8')) as ProcessRecord;
  } catch {
    return undefined;
  }
}

export async function writeRecord(stateDir: string, name: string, record: ProcessRecord): Promise<void> {
  await fs.writeFile(recordFile(stateDir, name), JSON.stringify(record, null, 2));
}

export async function removeRecord(stateDir: string, name: string): Promise<void> {
  await fs.rm(recordFile(stateDir, name), { force: true });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Alive and still running `record.script` (checked through /proc where there is one). */
export function isRunning(record: ProcessRecord): boolean {
  if (!pidAlive(record.pid)) return false;
  try {
    const cmdline = readFileSync(`/proc/${record.pid}/cmdline`, 'utf8');
    // A zombie has an empty command line: it is dead for our purposes.
    return cmdline.includes(record.script);
  } catch {
    return process.platform !== 'linux';
  }
}

/** Starts `command args` in its own session with stdout+stderr appended to `logFile`. */
export function spawnDetached(
  command: string,
  args: readonly string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; logFile: string },
): number {
  const out = openSync(opts.logFile, 'a');
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env,
    detached: true,
    stdio: ['ignore', out, out],
  });
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${command} ${args.join(' ')}`);
  return child.pid;
}

/** SIGTERM, then SIGKILL after `graceMs`. Resolves when the process is gone. */
export async function stopProcess(pid: number, graceMs: number): Promise<'stopped' | 'killed'> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return 'stopped';
  }
  const deadline = Date.now() + graceMs;
  while (pidAlive(pid) && Date.now() < deadline) await sleep(100);
  if (!pidAlive(pid)) return 'stopped';
  process.kill(pid, 'SIGKILL');
  while (pidAlive(pid)) await sleep(50);
  return 'killed';
}

/** True when something accepts TCP connections at host:port. */
export function portTaken(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (taken: boolean) => {
      socket.destroy();
      resolve(taken);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Polls `probe` until it holds, the process dies, or `timeoutMs` passes. */
export async function waitUntil(
  probe: () => Promise<boolean>,
  opts: { timeoutMs: number; record?: ProcessRecord; what: string; logFile: string },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (opts.record && !isRunning(opts.record))
      throw new Error(`${opts.what} exited during start-up; see ${opts.logFile}`);
    if (Date.now() > deadline)
      throw new Error(`${opts.what} not healthy after ${opts.timeoutMs / 1000} s; see ${opts.logFile}`);
    await sleep(250);
  }
}
