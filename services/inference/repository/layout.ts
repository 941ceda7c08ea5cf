/**
 * Reading a Triton-layout model repository: `<repo>/<model>/<numeric version>/model.onnx` with
 * model.json beside it. Only reads the directory tree; loading is the model manager's job.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function isValidModelName(name: string): boolean {
  return MODEL_NAME.test(name) && name !== '..';
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Model names: the repository's subdirectories. */
export function listModelNames(repo: string): string[] {
  if (!isDirectory(repo)) return [];
  return readdirSync(repo)
    .filter((name) => isValidModelName(name) && isDirectory(join(repo, name)))
    .sort();
}

/** Numeric version directories that hold both model.onnx and model.json, ascending. */
export function listVersions(repo: string, model: string): number[] {
  const dir = join(repo, model);
  if (!isDirectory(dir)) return [];
  return readdirSync(dir)
    .filter((v) => /^[0-9]+$/.test(v))
    .filter((v) => existsSync(join(dir, v, 'model.onnx')) && existsSync(join(dir, v, 'model.json')))
    .map(Number)
    .sort((a, b) => a - b);
}

export function versionDir(repo: string, model: string, version: number | string): string {
  return join(repo, model, String(version));
}

/**
 * What the latest version of a model looks like on disk (its number and the size and mtime of its
 * files): a poller reloads the model when this changes. Empty when the model has no version.
 */
export function modelFingerprint(repo: string, model: string): string {
  const latest = listVersions(repo, model).at(-1);
  if (latest === undefined) return '';
  const dir = versionDir(repo, model, latest);
  const files = ['model.onnx', 'model.json'].map((f) => {
    try {
      const s = statSync(join(dir, f));
      return `${f}:${s.size}:${s.mtimeMs}`;
    } catch {
      return `${f}:missing`;
    }
  });
  return `${latest}|${files.join('|')}`;
}
