/**
 * Entry point of the inference server:
 *   node --import tsx services/inference/main.ts --repository DIR [options]
 * or `runInferenceServer(argv)` from the CLI. Prints one JSON line
 * `{"event":"listening","port":...,"metricsPort":...}` on stdout once serving (useful with
 * --port 0) and returns 0 after a graceful stop on SIGTERM or SIGINT. With an accelerator in
 * --providers it first makes sure the CUDA libraries of `npm run setup:gpu` are on the library
 * path (launch.ts).
 */
import { parseConfig, USAGE } from './config';
import { InferenceServer } from './grpc/server';
import { nativeLibraryEnv, relaunch } from './launch';

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
  const env = nativeLibraryEnv(config.providers);
  if (env) return relaunch(__filename, argv, env);
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
