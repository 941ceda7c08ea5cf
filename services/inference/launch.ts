/**
 * The inference server's launcher: the dynamic loader reads LD_LIBRARY_PATH once, when the process
 * starts, so the CUDA libraries that `npm run setup:gpu` installs under .efficientbert/native
 * (PyPI nvidia-* packages) can only be found by a process started with them on that path. When an
 * accelerator is requested and they are not on it yet, the server runs itself again in a child
 * process with the path set, passing signals through and returning the child's exit code.
 */
import { spawn } from 'node:child_process';
import { cudaLibraryDirs } from '../../efficientbert/native/paths';

const ACCELERATORS = new Set(['cuda', 'tensorrt']);

/** The environment a server with these providers needs, or null when `env` already has it. */
export function nativeLibraryEnv(
  providers: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv | null {
  if (!providers.some((p) => ACCELERATORS.has(p))) return null;
  const current = (env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  const missing = cudaLibraryDirs(env).filter((dir) => !current.includes(dir));
  if (missing.length === 0) return null;
  return { ...env, LD_LIBRARY_PATH: [...missing, ...current].join(':') };
}

/** Runs `script argv` again under `env`; resolves with its exit code. */
export function relaunch(script: string, argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, script, ...argv], { env, stdio: 'inherit' });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGTERM', forward);
  process.on('SIGINT', forward);
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      process.off('SIGTERM', forward);
      process.off('SIGINT', forward);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}
