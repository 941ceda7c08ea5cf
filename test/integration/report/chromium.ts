/**
 * Headless Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`:
 * JSON messages, NUL-terminated, we write fd 3 and read fd 4), so no WebSocket client and no
 * browser-automation package is needed. Just enough of the protocol for the report tests: open a
 * page, evaluate an expression in it, take a full-page screenshot.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';

const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome'];

/** The browser binary: $CHROMIUM, else the first of CANDIDATES on PATH; undefined if none. */
export function findChromium(): string | undefined {
  const given = process.env.CHROMIUM;
  if (given) return fs.existsSync(given) ? given : undefined;
  return CANDIDATES.find((name) => spawnSync('sh', ['-c', `command -v ${name}`]).status === 0);
}

export const MISSING_CHROMIUM =
  'headless Chromium is required for the report tests and none was found: install it with ' +
  '`apt-get update && apt-get install -y chromium` (CI does this in .ci/run), or set $CHROMIUM';

interface Pending {
  resolve(result: Record<string, unknown>): void;
  reject(err: Error): void;
}

export class Chromium {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly waiters = new Map<string, () => void>();
  private buffer = '';
  private stderr = '';
  /** The page's session: commands without one go to the browser. */
  private session: string | undefined;

  private constructor(
    private readonly child: ChildProcess,
    private readonly profile: string,
  ) {
    // Decoded as a stream, so a character split across chunks survives.
    const replies = child.stdio[4] as Readable;
    replies.setEncoding('utf8');
    replies.on('data', (chunk: string) => this.onData(chunk));
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
    const fail = (err: Error): void => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    child.on('error', fail);
    child.on('exit', (code) => fail(new Error(`chromium exited (${code}); its stderr:\n${this.stderr}`)));
  }

  /** Starts the browser with one blank page of the given viewport size. */
  static async launch(binary: string, width: number, height: number): Promise<Chromium> {
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'report-chromium-'));
    const child = spawn(
      binary,
      [
        '--headless',
        // Root in containers and CI: the sandbox cannot start there. Only local files are opened.
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--hide-scrollbars',
        '--no-first-run',
        '--remote-debugging-pipe',
        `--user-data-dir=${profile}`,
        'about:blank',
      ],
      // Its own process group, so close() can stop the helper processes it forks too.
      { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], detached: true },
    );
    const browser = new Chromium(child, profile);
    const { targetId } = await browser.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await browser.send('Target.attachToTarget', { targetId, flatten: true });
    browser.session = String(sessionId);
    await browser.send('Page.enable');
    await browser.send('Emulation.setDeviceMetricsOverride', {
      width,
      height,
      deviceScaleFactor: 1,
      mobile: false,
    });
    return browser;
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    for (let end = this.buffer.indexOf('\0'); end >= 0; end = this.buffer.indexOf('\0')) {
      const message = JSON.parse(this.buffer.slice(0, end));
      this.buffer = this.buffer.slice(end + 1);
      if (message.id !== undefined) {
        const p = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.error) p?.reject(new Error(`DevTools: ${message.error.message}`));
        else p?.resolve(message.result ?? {});
      } else {
        this.waiters.get(message.method)?.();
      }
    }
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const message = { id, method, params, ...(this.session ? { sessionId: this.session } : {}) };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      (this.child.stdio[3] as Writable).write(`${JSON.stringify(message)}\0`);
    });
  }

  /** Opens `url` and resolves once its load event fired. */
  async open(url: string): Promise<void> {
    const loaded = new Promise<void>((resolve) => this.waiters.set('Page.loadEventFired', resolve));
    await this.send('Page.navigate', { url });
    await loaded;
  }

  /** The value of a JavaScript expression in the page (must be JSON-serializable). */
  async evaluate<T>(expression: string): Promise<T> {
    const { result, exceptionDetails } = (await this.send('Runtime.evaluate', {
      expression,
      returnByValue: true,
    })) as { result: { value: T }; exceptionDetails?: { text: string } };
    if (exceptionDetails) throw new Error(`in the page: ${exceptionDetails.text}`);
    return result.value;
  }

  /** A PNG of the whole page, beyond the viewport, at one device pixel per CSS pixel. */
  async screenshot(): Promise<Buffer> {
    const { cssContentSize } = (await this.send('Page.getLayoutMetrics')) as {
      cssContentSize: { width: number; height: number };
    };
    const { data } = await this.send('Page.captureScreenshot', {
      format: 'png',
      captureBeyondViewport: true,
      clip: { x: 0, y: 0, width: cssContentSize.width, height: cssContentSize.height, scale: 1 },
    });
    return Buffer.from(String(data), 'base64');
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    const group = -this.child.pid!;
    process.kill(group, 'SIGTERM');
    await exited;
    // Chromium's helper processes can outlive the browser and go on writing to the profile (an
    // ENOTEMPTY in the removal below): stop the whole group first.
    try {
      process.kill(group, 'SIGKILL');
    } catch {
      // the group is already gone
    }
    fs.rmSync(this.profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}
