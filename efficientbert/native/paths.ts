/**
 * Where `npm run setup:gpu` and `npm run setup:native` put what they install from the package
 * registries (gitignored), and which of those folders a process needs on its library path.
 */
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Install root: EFFICIENTBERT_NATIVE_DIR, else `.efficientbert/native` in the repository. */
export function nativeDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.EFFICIENTBERT_NATIVE_DIR ?? path.join(REPO_ROOT, '.efficientbert', 'native');
}

/** The ONNX Runtime provider libraries setup:gpu copies where onnxruntime-node's installer would. */
export const ORT_PROVIDER_LIBRARIES = [
  'libonnxruntime_providers_shared.so',
  'libonnxruntime_providers_cuda.so',
  'libonnxruntime_providers_tensorrt.so',
] as const;

/** onnxruntime-node's binary folder for this platform (its install script's BIN_FOLDER). */
export function ortBinaryDir(): string {
  const pkg = path.dirname(require.resolve('onnxruntime-node/package.json'));
  return path.join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
}

/** Provider libraries missing from onnxruntime-node's binary folder (empty when installed). */
export function missingOrtProviders(): string[] {
  const dir = ortBinaryDir();
  return ORT_PROVIDER_LIBRARIES.filter((f) => !existsSync(path.join(dir, f)));
}

/**
 * The lib folders of the PyPI nvidia-* packages under `<native>/cuda13` (nvidia/cu13/lib,
 * nvidia/cudnn/lib, ...), in a stable order; empty when setup:gpu has not run.
 */
export function cudaLibraryDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const nvidia = path.join(nativeDir(env), 'cuda13', 'nvidia');
  if (!existsSync(nvidia)) return [];
  return readdirSync(nvidia)
    .sort()
    .map((name) => path.join(nvidia, name, 'lib'))
    .filter((dir) => existsSync(dir));
}
