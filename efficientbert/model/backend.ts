import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

/** The tfjs backends we can train on, best first (DESIGN.md "Training backends"). */
export const BACKEND_PREFERENCE = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_PREFERENCE)[number];

export interface BackendChoice {
  readonly name: BackendName;
  /** Why each better backend was not used (empty when the first choice worked). */
  readonly skipped: readonly string[];
}

type Logger = (line: string) => void;

/**
 * Picks and activates a tfjs backend: `tensorflow` (native, from tfjs-node-gpu then tfjs-node,
 * optional dependencies that are often absent), then `wasm`, then `cpu`. `preferred` (or the
 * environment variable EFFICIENTBERT_BACKEND) forces one and fails loudly if it cannot start, so a
 * benchmark never silently measures the wrong backend. Logs the choice and the reasons for skips.
 */
export async function selectBackend(
  preferred: string | undefined = process.env.EFFICIENTBERT_BACKEND,
  log: Logger = (line) => console.error(line),
): Promise<BackendChoice> {
  const wanted = preferred ? [parseBackend(preferred)] : [...BACKEND_PREFERENCE];
  const skipped: string[] = [];
  for (const name of wanted) {
    const failure = await tryActivate(name);
    if (failure === null) {
      const reason = preferred
        ? `forced by ${preferred === process.env.EFFICIENTBERT_BACKEND ? 'EFFICIENTBERT_BACKEND' : 'argument'}`
        : 'best available';
      log(
        `[efficientbert] tfjs backend: ${name} (${reason})${skipped.length ? `; skipped ${skipped.join('; ')}` : ''}`,
      );
      return { name, skipped };
    }
    skipped.push(`${name}: ${failure}`);
  }
  throw new Error(`no tfjs backend could start: ${skipped.join('; ')}`);
}

function parseBackend(name: string): BackendName {
  if ((BACKEND_PREFERENCE as readonly string[]).includes(name)) return name as BackendName;
  throw new RangeError(`unknown tfjs backend '${name}' (expected one of ${BACKEND_PREFERENCE.join(', ')})`);
}

/** Activates one backend; returns null on success or the reason it failed. */
async function tryActivate(name: BackendName): Promise<string | null> {
  try {
    if (name === 'tensorflow') registerNative();
    if (name === 'wasm') registerWasm();
    if (name === 'cpu') require('@tensorflow/tfjs-backend-cpu');
    const ok = await tf.setBackend(name);
    if (!ok) return 'setBackend returned false';
    await tf.ready();
    return null;
  } catch (err) {
    return (err as Error).message.split('\n')[0] ?? String(err);
  }
}

function registerNative(): void {
  const reasons: string[] = [];
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      require(pkg);
      return;
    } catch (err) {
      reasons.push(`${pkg} not loadable (${(err as Error).message.split('\n')[0]})`);
    }
  }
  throw new Error(reasons.join(', '));
}

function registerWasm(): void {
  const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  // In Node the .wasm binaries are read from the package's dist folder, not fetched over HTTP.
  const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  wasm.setWasmPaths(`${dist}${path.sep}`);
  shareDataInWasmIdentity();
}

/**
 * The engine clones (Identity) every tensor it saves for the backward pass, and the wasm Identity
 * kernel copies the buffer: hundreds of full-size copies per train step. tfjs tensors are
 * immutable (Variable.assign swaps the buffer, it never writes into it), so an Identity that
 * shares the buffer with a reference count, exactly as the wasm Reshape kernel does, is safe.
 */
function shareDataInWasmIdentity(): void {
  const kernel = tf.getKernel('Identity', 'wasm');
  if (kernel && (kernel.kernelFunc as { sharesData?: boolean }).sharesData) return;
  if (kernel) tf.unregisterKernel('Identity', 'wasm');
  const kernelFunc = ({ inputs, backend }: { inputs: tf.NamedTensorInfoMap; backend: unknown }) => {
    const x = inputs.x!;
    (backend as { incRef(id: unknown): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  Object.assign(kernelFunc, { sharesData: true });
  tf.registerKernel({
    kernelName: 'Identity',
    backendName: 'wasm',
    kernelFunc: kernelFunc as unknown as tf.KernelFunc,
  });
}
