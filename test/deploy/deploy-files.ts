/**
 * Shared readers for the deployment checks in test/deploy: the Dockerfiles (parsed with
 * dockerfile-ast), deploy/compose.yaml and the Kubernetes manifests (parsed with yaml), and the
 * facts the services state in their own source (default ports, health service names, search
 * attributes), so that every check compares deploy/ with the code rather than with a copy.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import { DockerfileParser, type Instruction, type ModifiableInstruction } from 'dockerfile-ast';
import { parse, parseAllDocuments } from 'yaml';

export const ROOT = path.join(__dirname, '..', '..');
export const DEPLOY = path.join(ROOT, 'deploy');
export const read = (rel: string): string => readFileSync(path.join(ROOT, rel), 'utf8');
export const exists = (rel: string): boolean => existsSync(path.join(ROOT, rel));

// ---------------------------------------------------------------------------------------------
// Images
// ---------------------------------------------------------------------------------------------

export interface ImageSpec {
  /** Image name used in compose.yaml and the Kubernetes manifests. */
  readonly image: string;
  readonly dockerfile: string;
  /** The entry point every runtime stage of this image runs. */
  readonly entry: string;
  /** Runtime stages (targets people run), the last one being the default target. */
  readonly runtimeStages: readonly string[];
}

export const IMAGES: readonly ImageSpec[] = [
  {
    image: 'efficientbert/worker-gpu',
    dockerfile: 'deploy/docker/worker-gpu.Dockerfile',
    entry: 'services/worker/main.ts',
    runtimeStages: ['runtime'],
  },
  {
    image: 'efficientbert/inference',
    dockerfile: 'deploy/docker/inference.Dockerfile',
    entry: 'services/inference/main.ts',
    runtimeStages: ['runtime-cuda', 'runtime-cpu'],
  },
  {
    image: 'efficientbert/search-gateway',
    dockerfile: 'deploy/docker/search-gateway.Dockerfile',
    entry: 'services/search/main.ts',
    runtimeStages: ['runtime'],
  },
];

export interface Stage {
  readonly name: string;
  /** The FROM image as written (may be an ARG reference or an earlier stage). */
  readonly from: string;
  readonly instructions: Instruction[];
}

export interface ParsedDockerfile {
  readonly text: string;
  /** Global ARG defaults (before the first FROM). */
  readonly args: Map<string, string>;
  readonly stages: Stage[];
}

export function parseDockerfile(rel: string): ParsedDockerfile {
  const text = read(rel);
  const dockerfile = DockerfileParser.parse(text);
  const args = new Map<string, string>();
  for (const arg of dockerfile.getInitialARGs()) {
    const [name, value] = arg.getArgumentsContent()?.split('=', 2) ?? [];
    if (arg.getKeyword() === 'ARG' && name) args.set(name, value ?? '');
  }
  const stages: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const words = instruction.getArguments().map((a) => a.getValue());
      const asIndex = words.findIndex((w) => w.toUpperCase() === 'AS');
      stages.push({
        name: asIndex >= 0 ? words[asIndex + 1]! : String(stages.length),
        from: words.find((w) => !w.startsWith('--'))!,
        instructions: [],
      });
    } else if (stages.length > 0) stages.at(-1)!.instructions.push(instruction);
  }
  return { text, args, stages };
}

/** The value an image reference resolves to with the global ARG defaults. */
export function resolveArgs(value: string, args: Map<string, string>): string {
  return value.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (whole, name: string) => args.get(name) ?? whole);
}

/** Flags (`--from=x`, `--chown=...`) and source paths of a COPY/ADD instruction. */
export function copyParts(instruction: Instruction): { flags: Map<string, string>; sources: string[] } {
  const flags = new Map<string, string>();
  for (const flag of (instruction as ModifiableInstruction).getFlags())
    flags.set(flag.getName(), flag.getValue() ?? '');
  const words = instruction.getArguments().map((a) => a.getValue());
  return { flags, sources: words.slice(0, -1) };
}

/** The text of RUN instructions with line continuations joined. */
export function runText(instruction: Instruction): string {
  return (instruction.getArgumentsContent() ?? '').replace(/\\\r?\n/g, ' ');
}

/** Environment set by ENV instructions of a stage. */
export function stageEnv(stage: Stage): Map<string, string> {
  const env = new Map<string, string>();
  for (const instruction of stage.instructions) {
    if (instruction.getKeyword() !== 'ENV') continue;
    for (const arg of instruction.getArguments()) {
      const [name, value] = arg.getValue().split('=', 2);
      if (name && value !== undefined) env.set(name, value);
    }
  }
  return env;
}

/** What the inference image's default (CPU) target sets in the environment, e.g. its model cache. */
export function inferenceImageEnv(): Record<string, string> {
  const { stages } = parseDockerfile('deploy/docker/inference.Dockerfile');
  return Object.fromEntries(stageEnv(stages.find((s) => s.name === 'runtime-cpu')!));
}

/** Packages named by `apt-get install` in a RUN command (options and `name=version` pins handled). */
export function aptPackages(command: string): string[] {
  const names: string[] = [];
  for (const part of command.split(/&&|;|\|\|/)) {
    const words = part.trim().split(/\s+/);
    const at = words.findIndex((w, i) => w === 'install' && words.slice(0, i).includes('apt-get'));
    if (at < 0) continue;
    for (const word of words.slice(at + 1)) {
      const clean = word.replace(/^["']|["']$/g, '');
      if (clean.startsWith('-') || clean === '') continue;
      names.push(clean.split('=')[0]!);
    }
  }
  return names;
}

/** Minimal .dockerignore matcher (patterns relative to the context root, `**`, `*`, `!`). */
export function dockerignoreMatcher(text: string): (rel: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = (negate ? l.slice(1) : l).replace(/^\/+/, '').replace(/\/+$/, '');
      const regex = pattern
        .split('/')
        .map((segment) =>
          segment === '**'
            ? '(?:.*)'
            : segment
                .replace(/[.+^${}()|[\]\\]/g, '\\$&')
                .replace(/\*/g, '[^/]*')
                .replace(/\?/g, '[^/]'),
        )
        .join('/')
        .replace(/\(\?:\.\*\)\//g, '(?:.*/)?');
      return { negate, regex: new RegExp(`^${regex}(?:/.*)?$`) };
    });
  return (rel) => {
    let excluded = false;
    for (const rule of rules) if (rule.regex.test(rel)) excluded = !rule.negate;
    return excluded;
  };
}

// ---------------------------------------------------------------------------------------------
// TypeScript sources reachable from an entry point
// ---------------------------------------------------------------------------------------------

const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

function resolveLocal(fromFile: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(fromFile), spec);
  for (const candidate of [
    base,
    `${base}.ts`,
    `${base}.js`,
    path.join(base, 'index.ts'),
    path.join(base, 'index.js'),
  ])
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  return undefined;
}

/** Bare package name of an import specifier (`@scope/pkg/sub` -> `@scope/pkg`). */
export function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

export interface ImportClosure {
  /** Repository-relative files reached through relative imports. */
  readonly files: Set<string>;
  /** Bare packages imported at run time (type-only imports excluded), with one importer each. */
  readonly packages: Map<string, string>;
  readonly unresolved: string[];
}

/**
 * Follows relative `import`/`export ... from`/`require()`/`import()`/`require.resolve()` and
 * path.join(__dirname, '...') references from an entry point. `import type` is skipped: it is
 * erased at run time.
 */
export function importClosure(entry: string): ImportClosure {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const unresolved: string[] = [];
  const queue = [path.join(ROOT, entry)];
  const patterns = [
    /^\s*import\s+(?!type\s)(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm,
    /^\s*export\s+(?!type\s)[^'"]*?\sfrom\s+['"]([^'"]+)['"]/gm,
    /\brequire(?:\.resolve)?\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
    /path\.join\(\s*__dirname\s*,\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  while (queue.length > 0) {
    const file = queue.pop()!;
    const rel = path.relative(ROOT, file);
    if (files.has(rel)) continue;
    files.add(rel);
    if (!/\.(ts|js)$/.test(file)) continue;
    const source = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
    for (const pattern of patterns) {
      for (const match of source.matchAll(pattern)) {
        // path.join(__dirname, 'x.ts') names a file beside the importer.
        const spec = pattern.source.startsWith('path') ? `./${match[1]!}` : match[1]!;
        if (spec.startsWith('.')) {
          const target = resolveLocal(file, spec);
          if (target) queue.push(target);
          else unresolved.push(`${rel}: ${spec}`);
        } else if (!BUILTINS.has(spec) && !BUILTINS.has(packageName(spec))) {
          if (!packages.has(packageName(spec))) packages.set(packageName(spec), rel);
        }
      }
    }
  }
  return { files, packages, unresolved };
}

// ---------------------------------------------------------------------------------------------
// Facts from the services' source
// ---------------------------------------------------------------------------------------------

/** The search gateway's defaults, read from services/search/main.ts (it cannot be imported). */
export function searchDefaults(): { host: string; port: number; portEnv: string; hostEnv: string } {
  const source = read('services/search/main.ts');
  const port = /port:\s*Number\(process\.env\.(\w+)\s*\?\?\s*(\d+)\)/.exec(source);
  const host = /host:\s*process\.env\.(\w+)\s*\?\?\s*'([^']+)'/.exec(source);
  if (!port || !host)
    throw new Error('services/search/main.ts no longer reads SEARCH_HOST/SEARCH_PORT as expected');
  return { portEnv: port[1]!, port: Number(port[2]), hostEnv: host[1]!, host: host[2]! };
}

/** Services the search gateway's health answers for ('' = the server). */
export function searchHealthServices(): string[] {
  const protos = read('services/search/protos.ts');
  const name = /SEARCH_SERVICE\s*=\s*'([^']+)'/.exec(protos);
  if (!name) throw new Error('SEARCH_SERVICE not found in services/search/protos.ts');
  return ['', name[1]!];
}

/** Names of the custom search attributes the workflows define (workflows/definitions.ts). */
export function searchAttributes(): string[] {
  return [...read('workflows/definitions.ts').matchAll(/defineSearchAttributeKey\(\s*'([^']+)'/g)].map(
    (m) => m[1]!,
  );
}

/** Environment variable names the code reads (process.env.X / env.X / env['X']). */
export function envNamesReadByCode(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(path.join(ROOT, dir))) {
      const rel = path.join(dir, name);
      if (statSync(path.join(ROOT, rel)).isDirectory()) walk(rel);
      else if (/\.(ts|js)$/.test(name))
        for (const m of read(rel).matchAll(
          /\b(?:process\.env|env)(?:\.([A-Z][A-Z0-9_]*)|\[\s*'([A-Z][A-Z0-9_]*)'\s*\])/g,
        ))
          names.add((m[1] ?? m[2])!);
    }
  };
  for (const dir of ['services', 'workflows', 'efficientbert']) walk(dir);
  return names;
}

/**
 * Environment names a deployment may set: read by the code, EFFICIENTBERT_INFERENCE_<FLAG> for the
 * inference flags (its usage text lists them), EFFICIENTBERT_MODEL_REPO (the inference image's CMD
 * passes it as --repository), and those read by the platform (CUDA, NVIDIA runtime, Node, apt).
 */
export function knownEnvNames(inferenceUsage: string): Set<string> {
  const known = envNamesReadByCode();
  for (const flag of inferenceUsage.matchAll(/--([a-z][a-z-]*)/g))
    known.add(`EFFICIENTBERT_INFERENCE_${flag[1]!.toUpperCase().replace(/-/g, '_')}`);
  for (const name of [
    'EFFICIENTBERT_MODEL_REPO',
    'CUDA_VISIBLE_DEVICES',
    // Read by the NVIDIA container toolkit: which GPUs, and that the driver is mounted.
    'NVIDIA_VISIBLE_DEVICES',
    'NVIDIA_DRIVER_CAPABILITIES',
    'NODE_ENV',
    'DEBIAN_FRONTEND',
  ])
    known.add(name);
  return known;
}

// ---------------------------------------------------------------------------------------------
// YAML
// ---------------------------------------------------------------------------------------------

// biome-ignore lint/suspicious/noExplicitAny: YAML documents are checked field by field.
export type Yaml = any;

/** Compose variable interpolation (`${VAR:-default}`, `${VAR-default}`, `${VAR}`, `$$`). */
export function interpolate(node: Yaml, vars: Record<string, string | undefined> = {}): Yaml {
  if (typeof node === 'string')
    return node.replace(
      /\$\$|\$\{(\w+)(?:(:?-)([^}]*))?\}/g,
      (whole, name?: string, op?: string, fallback?: string) => {
        if (whole === '$$') return '$';
        const value = vars[name!];
        if (op === ':-') return value ? value : (fallback ?? '');
        if (op === '-') return value ?? fallback ?? '';
        return value ?? '';
      },
    );
  if (Array.isArray(node)) return node.map((item) => interpolate(item, vars));
  if (node && typeof node === 'object')
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolate(v, vars)]));
  return node;
}

/** deploy/compose.yaml with anchors merged and variables at their defaults. */
export function loadCompose(vars: Record<string, string | undefined> = {}): Yaml {
  return interpolate(parse(read('deploy/compose.yaml'), { merge: true }), vars);
}

export interface K8sDoc {
  readonly file: string;
  readonly doc: Yaml;
}

export function loadKustomization(): Yaml {
  return parse(read('deploy/k8s/kustomization.yaml'));
}

/** Every document of every resource the kustomization lists. */
export function loadK8s(): K8sDoc[] {
  const docs: K8sDoc[] = [];
  for (const resource of loadKustomization().resources as string[]) {
    const file = path.join('deploy/k8s', resource);
    for (const document of parseAllDocuments(read(file))) {
      if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0]!.message}`);
      const doc = document.toJS();
      if (doc) docs.push({ file, doc });
    }
  }
  return docs;
}

export function k8sFind(docs: K8sDoc[], kind: string, name: string): Yaml {
  const found = docs.find((d) => d.doc.kind === kind && d.doc.metadata?.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in deploy/k8s`);
  return found.doc;
}

/** Image name without tag/digest. */
export function imageName(ref: string): string {
  return ref.replace(/@.*$/, '').replace(/:[^/:]*$/, '');
}
