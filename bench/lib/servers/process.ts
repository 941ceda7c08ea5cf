/**
 * Server child processes of the benchmarks: started from an entry file, ready once they print their
 * listening line, stopped (or all killed at once when the bench is interrupted), and the CPU time
 * their main thread has used.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** Every server child still running, so that an interrupted bench leaves none behind. */
const running = new Set<ChildProcess>();

/**
 * Starts a server entry file from its checkout's root (`root`, where tsx resolves) and resolves
 * with its port once it prints {"event":"listening","port":N} on stdout (as
 * services/inference/main.ts does).
 */
export async function spawnListening(
  name: string,
  entry: string,
  root: string,
  args: string[],
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const port = await new Promise<number>((resolvePort, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      try {
        const event = JSON.parse(line) as { event?: string; port?: number };
        if (event.event === 'listening' && event.port) resolvePort(event.port);
      } catch {
        // not the listening line
      }
    });
    child.once('exit', (code) => reject(new Error(`server ${name} exited with ${code}: ${stderr}`)));
  });
  return { child, port };
}

/** SIGTERM, resolving once the process has exited. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
  child.kill('SIGTERM');
  await exited;
}

/** For a signal handler: SIGKILL to every server still running. */
export function killAllServers(): void {
  for (const child of running) child.kill('SIGKILL');
}

const CLOCK_TICKS = 100;

/**
 * CPU time (ms) a process's main thread has used, from /proc (Linux; null elsewhere). The
 * inference server's main thread does all of its per-request work but the ORT run (in session
 * workers).
 */
export function mainThreadCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat (11 and 12 after the name), in clock ticks.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}
