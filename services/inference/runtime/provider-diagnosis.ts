/**
 * Why an accelerator execution provider could not start. onnxruntime-node's error says only
 * "Failed to load shared library" (the missing dependency goes to ORT's own stderr log), so after
 * a failure the provider library is loaded once more here, through the same dynamic loader, to
 * name what is missing: the provider itself (setup:gpu not run), a CUDA library (not on the
 * library path), or the driver (libcuda.so.1: no GPU on this machine).
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { ortBinaryDir } from '../../../efficientbert/native/paths';

const PROVIDER_LIBRARY: Record<string, string> = {
  cuda: 'libonnxruntime_providers_cuda.so',
  tensorrt: 'libonnxruntime_providers_tensorrt.so',
};

/** One line per accelerator in `providers`, e.g. "cuda: provider library found; no NVIDIA driver ...". */
export function diagnoseProviders(providers: readonly string[]): string {
  return providers
    .filter((p) => p in PROVIDER_LIBRARY)
    .map((p) => `${p}: ${diagnose(path.join(ortBinaryDir(), PROVIDER_LIBRARY[p]!))}`)
    .join('; ');
}

function diagnose(library: string): string {
  const name = path.basename(library);
  if (!existsSync(library)) return `${name} not installed (run \`npm run setup:gpu\`)`;
  const error = loadError(library);
  if (error === null)
    return `${name} found and loadable; the failure is ONNX Runtime's own (see its log above)`;
  const missing = /^([^:]+): cannot open shared object file/.exec(error)?.[1];
  if (missing === 'libcuda.so.1')
    return `${name} found; no NVIDIA driver on this machine (libcuda.so.1 not found: no GPU device)`;
  if (missing && /^libnv(infer|onnxparser)/.test(missing))
    return `${name} found; ${missing} not found (TensorRT itself is not in the registries: PyPI's tensorrt-cu13-libs is a placeholder that downloads from NVIDIA's own index)`;
  if (missing) return `${name} found; ${missing} not on the library path (run \`npm run setup:gpu\`)`;
  return `${name} found; loading it failed: ${error}`;
}

/** dlopen's error for `library`, or null when it loads (then it is no Node addon, which is fine). */
function loadError(library: string): string | null {
  try {
    process.dlopen({ exports: {} }, library);
    return null;
  } catch (err) {
    const message = (err as Error).message;
    return /self-register|Module did not/.test(message) ? null : message;
  }
}
