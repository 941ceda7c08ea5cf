/**
 * Entry point of the inference server:
 *   node --import tsx services/inference/main.ts --repository DIR [options]
 * or `runInferenceServer(argv)` from the CLI. Prints one JSON line
 * `{"event":"listening","port":...,"metricsPort":...}` on stdout once serving (useful with
 * --port 0) and returns 0 after a graceful stop on SIGTERM or SIGINT.
 */
import { parseConfig, USAGE } from './config';
import { InferenceServer } from './grpc/server';

export async function runInferenceServer(argv: string[]): Promise<number> {
  let config: ReturnType<typeof parseConfig>;
  try {
    config = parseConfig(argv);
  } catch (err) {
    console.error(`inference: ${err instanceof Error ? err.message : err}\n\n${USAGE}`);
    return 2;
  }
  if (config === 'help') {
    console.log(USAGE);
    return 0;
  }
  const server = await InferenceServer.start(config);
  console.log(JSON.stringify({ event: 'listening', port: server.port, metricsPort: server.metricsPort }));
  await new Promise<void>((resolve) => {
    const stop = () => void server.shutdown().then(resolve);
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  return 0;
}

if (require.main === module) {
  runInferenceServer(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error('inference: fatal:', err);
      process.exitCode = 1;
    },
  );
}
