/**
 * A throwaway Temporal dev server for e2e tests: fresh temp SQLite file, free port, and the ability
 * to SIGKILL it and restart it on the same port and database (waiting on health, not a fixed sleep:
 * a file-backed start can take over 5 s on 2 cores).
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ensureSearchAttributes, spawnDevServer, waitHealthy } from '../../services/dev/temporal-dev';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export class TestTemporalServer {
  private child: ChildProcess | undefined;

  private constructor(
    readonly stateDir: string,
    readonly port: number,
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  static async start(): Promise<TestTemporalServer> {
    const stateDir = await fs.mkdtemp(path.join(tmpdir(), 'eb-temporal-'));
    const server = new TestTemporalServer(stateDir, await freePort());
    await server.launch();
    await ensureSearchAttributes(server.address);
    return server;
  }

  private async launch(): Promise<void> {
    this.child = spawnDevServer({
      stateDir: this.stateDir,
      port: this.port,
      logFile: path.join(this.stateDir, 'temporal.log'),
    });
    await waitHealthy(this.address, { timeoutMs: 90_000, child: this.child });
  }

  /** SIGKILL: no chance to flush or shut down cleanly. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGKILL');
    await waitExit(child);
    this.child = undefined;
  }

  /** Starts again on the same port and SQLite file. */
  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  async stop(): Promise<void> {
    await this.kill();
    await fs.rm(this.stateDir, { recursive: true, force: true });
  }
}
