/**
 * Work handed to a worker thread whose entry is a TypeScript module, so that parsing or
 * converting a large upload never holds a server's event loop.
 */
import { type TransferListItem, Worker } from 'node:worker_threads';

/**
 * Passing this process's `--import tsx` in `execArgv` does not reach a worker's entry file on
 * Node 20 ("Unknown file extension .ts"), so a one-line CommonJS bootstrap registers tsx's require
 * hook in the thread and then loads the module.
 */
export function startTsWorker(entry: string, workerData: unknown, transferList?: TransferListItem[]): Worker {
  const bootstrap = `require(${JSON.stringify(require.resolve('tsx/cjs'))});require(${JSON.stringify(entry)});`;
  return new Worker(bootstrap, { eval: true, workerData, ...(transferList ? { transferList } : {}) });
}

/**
 * Runs a one-shot worker (`entry` posts exactly one message) and resolves with that message. A
 * thread that throws or exits before posting rejects: a crash, never a hang.
 */
export function runOnTsWorker<Reply>(
  entry: string,
  workerData: unknown,
  transferList?: TransferListItem[],
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const worker = startTsWorker(entry, workerData, transferList);
    worker.once('message', (reply: Reply) => {
      resolve(reply);
      void worker.terminate();
    });
    worker.once('error', reject);
    // After the reply this settles nothing.
    worker.once('exit', (code) => reject(new Error(`worker thread ${entry} exited with code ${code}`)));
  });
}
