/**
 * `node --import tsx services/dev/main.ts start|stop|status [--state DIR] [--port P] [--ui-port U]`
 * Starts (or reuses) the local Temporal dev server with SQLite state under DIR (default
 * ./.efficientbert/temporal), stops it, or reports on it.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { devServerStatus, startDevServer, stopDevServer } from './temporal-dev';

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      state: { type: 'string', default: path.join('.efficientbert', 'temporal') },
      port: { type: 'string', default: '7233' },
      'ui-port': { type: 'string' },
      ip: { type: 'string', default: '127.0.0.1' },
    },
  });
  const command = positionals[0] ?? 'status';
  const stateDir = path.resolve(values.state!);
  if (command === 'start') {
    const info = await startDevServer({
      stateDir,
      ip: values.ip!,
      port: Number(values.port),
      ...(values['ui-port'] ? { uiPort: Number(values['ui-port']) } : {}),
    });
    console.log(JSON.stringify(info));
    return 0;
  }
  if (command === 'stop') {
    console.log(JSON.stringify({ stopped: await stopDevServer(stateDir) }));
    return 0;
  }
  if (command === 'status') {
    const status = await devServerStatus(stateDir);
    console.log(JSON.stringify(status));
    return status.healthy ? 0 : 3;
  }
  console.error(`unknown command '${command}' (start, stop, status)`);
  return 2;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
