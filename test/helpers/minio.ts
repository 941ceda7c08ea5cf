/**
 * A throwaway MinIO server for the S3 artifact store's tests: 127.0.0.1 only, a free port, a temp
 * data dir, SIGKILLed at the end. The binary comes from `npm run setup` (built from the Go module
 * proxy into .efficientbert/bin); without it the tests fail, naming that step, rather than skip.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { s3ClientFromEnv } from '../../efficientbert/artifacts';
import { freePort } from './temporal-server';

const BINARY = process.env.MINIO_BINARY ?? path.join(__dirname, '..', '..', '.efficientbert', 'bin', 'minio');

export class TestMinio {
  private constructor(
    private readonly child: ChildProcess,
    readonly dataDir: string,
    /** The AWS variables a client (or a worker process) needs to reach this server. */
    readonly env: Record<string, string>,
  ) {}

  static async start(): Promise<TestMinio> {
    if (!existsSync(BINARY)) {
      throw new Error(
        `MinIO server not found at ${BINARY}: run 'npm run setup' (scripts/setup.sh builds it with go install)`,
      );
    }
    const dataDir = await fs.mkdtemp(path.join(tmpdir(), 'eb-minio-'));
    const [port, consolePort] = [await freePort(), await freePort()];
    const user = 'eb-test';
    const password = randomBytes(12).toString('hex');
    const child = spawn(
      BINARY,
      [
        'server',
        path.join(dataDir, 'data'),
        '--address',
        `127.0.0.1:${port}`,
        '--console-address',
        `127.0.0.1:${consolePort}`,
        '--quiet',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, MINIO_ROOT_USER: user, MINIO_ROOT_PASSWORD: password, MINIO_BROWSER: 'off' },
      },
    );
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const env = {
      AWS_ACCESS_KEY_ID: user,
      AWS_SECRET_ACCESS_KEY: password,
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
    };
    const minio = new TestMinio(child, dataDir, env);
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`minio exited (${child.exitCode}):\n${output}`);
      const ok = await fetch(`${env.AWS_ENDPOINT_URL}/minio/health/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline) {
        await minio.stop();
        throw new Error(`minio not ready after 60 s:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    return minio;
  }

  client() {
    return s3ClientFromEnv(this.env);
  }

  async createBucket(): Promise<string> {
    const bucket = `eb-${randomBytes(6).toString('hex')}`;
    await this.client().send(new CreateBucketCommand({ Bucket: bucket }));
    return bucket;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGKILL');
      await exited;
    }
    await fs.rm(this.dataDir, { recursive: true, force: true });
  }
}
