/**
 * Worker processes for e2e tests (a separate process, so a test can SIGKILL it), and the workflow
 * bundle built once per test file and handed to every worker it starts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

const ROOT = path.join(__dirname, '..', '..');

/** Bundles workflows/ into a temp file (about a second) and returns its path. */
export async function bundleWorkflowsToFile(): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } as never,
  });
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'eb-bundle-'));
  const file = path.join(dir, 'workflow-bundle.js');
  await fs.writeFile(file, code);
  return file;
}

export interface WorkerProcessOptions {
  readonly address: string;
  readonly artifactsRoot: string;
  readonly bundlePath: string;
  readonly gpuConcurrency?: number;
  readonly queues?: string;
  readonly heartbeatEveryMs?: number;
  /** The worker's trainer; default the fake one (the real one is for the end-to-end search test). */
  readonly trainer?: 'kd' | 'fake';
  readonly modelRepository?: string;
  readonly dataDir?: string;
}

export class WorkerProcess {
  private output = '';
  private constructor(readonly child: ChildProcess) {}

  static async start(opts: WorkerProcessOptions): Promise<WorkerProcess> {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'services', 'worker', 'main.ts')],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: opts.address,
          EFFICIENTBERT_ARTIFACTS: opts.artifactsRoot,
          EFFICIENTBERT_WORKFLOW_BUNDLE: opts.bundlePath,
          EFFICIENTBERT_GPU_CONCURRENCY: String(opts.gpuConcurrency ?? 2),
          EFFICIENTBERT_QUEUES: opts.queues ?? 'light,gpu',
          EFFICIENTBERT_HEARTBEAT_MS: String(opts.heartbeatEveryMs ?? 300),
          EFFICIENTBERT_TRAINER: opts.trainer ?? 'fake',
          ...(opts.modelRepository ? { EFFICIENTBERT_MODEL_REPO: opts.modelRepository } : {}),
          ...(opts.dataDir ? { EFFICIENTBERT_DATA: opts.dataDir } : {}),
        },
      },
    );
    const w = new WorkerProcess(child);
    await new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer) => {
        w.output += d.toString();
        if (w.output.includes('ready')) resolve();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (d: Buffer) => {
        w.output += d.toString();
        if (process.env.EB_TEST_VERBOSE) process.stderr.write(d);
      });
      child.once('exit', (code) => reject(new Error(`worker exited (${code}) before ready:\n${w.output}`)));
      setTimeout(() => reject(new Error(`worker not ready after 60 s:\n${w.output}`)), 60_000).unref();
    });
    return w;
  }

  get log(): string {
    return this.output;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill(signal);
    await exited;
  }
}
