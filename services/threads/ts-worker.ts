/**
 * A worker thread whose entry is a TypeScript module. Passing this process's `--import tsx` in
 * `execArgv` does not reach a worker's entry file on Node 20 ("Unknown file extension .ts"), so a
 * one-line CommonJS bootstrap registers tsx's require hook in the thread and then loads the module.
 */
import { Worker } from 'node:worker_threads';

export function startTsWorker(entry: string, workerData: unknown): Worker {
  const bootstrap = `require(${JSON.stringify(require.resolve('tsx/cjs'))});require(${JSON.stringify(entry)});`;
  return new Worker(bootstrap, { eval: true, workerData });
}
