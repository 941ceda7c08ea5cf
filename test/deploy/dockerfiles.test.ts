/**
 * The three Dockerfiles: lint (dockerfile-utils, the linter of the VS Code Docker extension;
 * hadolint has no npm or Debian package), structure (multi-stage, non-root numeric USER,
 * HEALTHCHECK, tini as init), and what they refer to: COPY sources present and not excluded by
 * the image's .dockerignore, stage names, apt packages from a verified allow-list, npm packages
 * from the lockfile, the ONNX Runtime install mode, entry points and everything they import.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { validate } from 'dockerfile-utils';
import { USAGE } from '../../services/inference/config';
import {
  aptPackages,
  copyParts,
  dockerignoreMatcher,
  exists,
  IMAGES,
  importClosure,
  knownEnvNames,
  parseDockerfile,
  read,
  resolveArgs,
  runText,
  type Stage,
  stageEnv,
} from './deploy-files';

/**
 * Debian bookworm packages (the node:20-bookworm-slim stages), each checked with
 * `apt-cache show` on bookworm when this list was written: tini 0.19.0-1+b3,
 * ca-certificates 20250419~deb12u2, python3 3.11.2-1+b1, make 4.3-4.1, g++ 4:12.2.0-3,
 * python3-pip 23.0.1+dfsg-1 (scripts/setup-gpu.sh's `pip download` / `install --target`).
 */
const DEBIAN_PACKAGES = new Set(['tini', 'ca-certificates', 'python3', 'python3-pip', 'make', 'g++']);
/**
 * Ubuntu 22.04 + NVIDIA CUDA repository packages (the nvidia/cuda stages). Not checkable from
 * here (only Debian's archive is reachable): names as published in NVIDIA's ubuntu2204 repository.
 */
const CUDA_STAGE_PACKAGES = new Set([
  ...DEBIAN_PACKAGES,
  'cuda-cudart-11-8',
  'libcublas-11-8',
  'libcufft-11-8',
  'libcurand-11-8',
  'libcusolver-11-8',
  'libcusparse-11-8',
  'libcudnn8',
]);

const pkg = JSON.parse(read('package.json')) as {
  dependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  devDependencies: Record<string, string>;
};
const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { version: string }> };
const PROD = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.optionalDependencies ?? {})]);

function stageBase(stage: Stage, stages: Stage[], args: Map<string, string>): string {
  const from = resolveArgs(stage.from, args);
  const parent = stages.find((s) => s.name === stage.from);
  return parent && parent !== stage ? stageBase(parent, stages, args) : from;
}

test('the linter reports problems in a broken Dockerfile (it is really checking)', () => {
  const broken = 'FROM node:20 AS a\nCOPY --frm=a x y\nHEALTHCHECK --interval=abc CMD true\nEXPOSE 99999\n';
  assert.ok(validate(broken).length >= 2, JSON.stringify(validate(broken)));
});

for (const image of IMAGES) {
  describe(image.dockerfile, () => {
    const parsed = parseDockerfile(image.dockerfile);
    const { stages, args } = parsed;
    const ignored = dockerignoreMatcher(read(`${image.dockerfile}.dockerignore`));

    test('lints clean with dockerfile-utils', () => {
      assert.deepEqual(
        validate(parsed.text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`),
        [],
      );
    });

    test('is multi-stage; the runtime stages are named and the last one is the default target', () => {
      assert.ok(stages.length >= 2);
      for (const name of image.runtimeStages)
        assert.ok(
          stages.some((s) => s.name === name),
          name,
        );
      assert.equal(stages.at(-1)!.name, image.runtimeStages.at(-1));
      assert.equal(new Set(stages.map((s) => s.name)).size, stages.length, 'stage names are unique');
    });

    test('base images are pinned by ARG defaults to Node 20 and CUDA 12 + cuDNN runtime images', () => {
      for (const stage of stages) {
        const base = stageBase(stage, stages, args);
        assert.match(
          base,
          /^(node:20[-.\w]*-bookworm-slim|nvidia\/cuda:12\.\d+\.\d+-cudnn-runtime-ubuntu22\.04)$/,
          stage.name,
        );
      }
    });

    test('every COPY source exists, is inside the context, is not dockerignored; --from names an earlier stage', () => {
      for (const [index, stage] of stages.entries()) {
        for (const instruction of stage.instructions) {
          assert.notEqual(instruction.getKeyword(), 'ADD', 'use COPY');
          if (instruction.getKeyword() !== 'COPY') continue;
          const { flags, sources } = copyParts(instruction);
          const from = flags.get('from');
          if (from !== undefined) {
            assert.ok(
              stages.slice(0, index).some((s) => s.name === from),
              `${stage.name}: COPY --from=${from} is not an earlier stage`,
            );
            continue;
          }
          for (const source of sources) {
            const rel = path.normalize(source);
            assert.ok(!rel.startsWith('..') && !path.isAbsolute(rel), `${source} leaves the context`);
            assert.ok(exists(rel), `${stage.name}: COPY source ${source} does not exist`);
            assert.ok(!ignored(rel), `${stage.name}: COPY source ${source} is excluded by the .dockerignore`);
          }
        }
      }
    });

    test('the context keeps out node_modules, .git and local state', () => {
      for (const rel of [
        'node_modules',
        'node_modules/x/y.js',
        '.git',
        '.efficientbert/artifacts',
        'services/x/node_modules',
      ])
        assert.ok(ignored(rel), rel);
    });

    test('apt-get installs only allow-listed packages, with --no-install-recommends, and cleans its lists', () => {
      for (const stage of stages) {
        const cuda = stageBase(stage, stages, args).startsWith('nvidia/cuda');
        for (const instruction of stage.instructions) {
          if (instruction.getKeyword() !== 'RUN') continue;
          const command = runText(instruction);
          if (!command.includes('apt-get install')) continue;
          assert.match(command, /apt-get update/);
          assert.match(command, /--no-install-recommends/);
          assert.match(command, /rm -rf \/var\/lib\/apt\/lists/);
          for (const name of aptPackages(command))
            assert.ok(
              (cuda ? CUDA_STAGE_PACKAGES : DEBIAN_PACKAGES).has(name),
              `${stage.name}: apt package ${name}`,
            );
        }
      }
    });

    test('npm commands install from the lockfile without devDependencies and name real packages', () => {
      let sawCi = false;
      for (const stage of stages) {
        for (const instruction of stage.instructions) {
          if (instruction.getKeyword() !== 'RUN') continue;
          const command = runText(instruction);
          for (const ci of command.matchAll(/npm ci([^&]*)/g)) {
            sawCi = true;
            assert.match(ci[1]!, /--omit=dev/, 'npm ci --omit=dev');
          }
          for (const rebuild of command.matchAll(/npm rebuild ([^&;]+)/g))
            for (const name of rebuild[1]!.trim().split(/\s+/))
              assert.ok(
                PROD.has(name) || lock.packages[`node_modules/${name}`],
                `npm rebuild ${name}: not installed by npm ci --omit=dev`,
              );
          for (const removed of command.matchAll(/rm -rf ((?:node_modules\/\S+\s*)+)/g))
            for (const dir of removed[1]!.trim().split(/\s+/))
              assert.ok(lock.packages[dir], `rm -rf ${dir}: no such package in the lockfile`);
          if (command.includes('--prefix /opt/tsx')) {
            assert.match(
              command,
              /packages\['node_modules\/tsx'\]\.version/,
              'tsx pinned to the lockfile version',
            );
            assert.ok(lock.packages['node_modules/tsx'], 'tsx is in the lockfile');
          }
        }
      }
      assert.ok(sawCi, 'dependencies come from npm ci');
    });

    test('ONNX Runtime: CUDA provider installed only where a CUDA runtime uses it, by a valid route', () => {
      // The install script's own table of what it can fetch on linux/x64.
      const metadata = require('onnxruntime-node/script/install-metadata.js') as {
        requirements: Record<string, string[]>;
        manifests: Record<string, Record<string, unknown>>;
      };
      const modes = new Set(metadata.requirements['linux/x64']);
      const providerFile = Object.keys(metadata.manifests['linux/x64:cuda12'] ?? {}).find((f) =>
        f.includes('providers_cuda'),
      );
      assert.ok(providerFile, 'onnxruntime-node still fetches a CUDA provider for linux/x64');
      const commands = stages.flatMap((s) =>
        s.instructions
          .filter((i) => i.getKeyword() === 'RUN')
          .map((i) => ({ stage: s, command: runText(i) })),
      );
      // Two routes: onnxruntime-node's own installer (NuGet), or scripts/setup-gpu.sh (PyPI).
      const fetching = commands.filter((c) =>
        /ONNXRUNTIME_NODE_INSTALL=(?!skip)|scripts\/setup-gpu\.sh/.test(c.command),
      );
      for (const { command } of fetching) {
        const mode = /ONNXRUNTIME_NODE_INSTALL=(\S+)/.exec(command)?.[1];
        if (mode) assert.ok(modes.has(mode), `ONNXRUNTIME_NODE_INSTALL=${mode} is not one of ${[...modes]}`);
        assert.ok(
          command.includes(
            `test -f node_modules/onnxruntime-node/bin/napi-v6/linux/x64/${path.basename(providerFile)}`,
          ),
          'the build fails when the CUDA provider did not arrive',
        );
      }
      for (const { command } of commands.filter((c) => /npm ci/.test(c.command)))
        assert.ok(
          /ONNXRUNTIME_NODE_INSTALL=skip/.test(command) || /--ignore-scripts/.test(command),
          'npm ci never fetches implicitly',
        );
      // A CUDA runtime asks the container toolkit for the driver.
      const cudaRuntimes = image.runtimeStages.filter((name) =>
        stageEnv(stages.find((s) => s.name === name)!).has('NVIDIA_DRIVER_CAPABILITIES'),
      );
      assert.equal(
        fetching.length > 0,
        cudaRuntimes.length > 0,
        'CUDA provider fetched iff there is a CUDA runtime',
      );
    });

    for (const runtime of image.runtimeStages) {
      describe(`target ${runtime}`, () => {
        const stage = stages.find((s) => s.name === runtime)!;
        const keyword = (k: string) => stage.instructions.filter((i) => i.getKeyword() === k);

        test('runs as a numeric non-root user under tini', () => {
          const user = keyword('USER').at(-1)?.getArgumentsContent();
          assert.equal(user, '10001:10001');
          assert.deepEqual(JSON.parse(keyword('ENTRYPOINT').at(-1)!.getArgumentsContent()!), [
            '/usr/bin/tini',
            '--',
          ]);
          const installsTini = stage.instructions.some(
            (i) => i.getKeyword() === 'RUN' && aptPackages(runText(i)).includes('tini'),
          );
          assert.ok(installsTini, 'tini is installed in this stage');
        });

        test(`runs ${image.entry} with node --import tsx, and tsx is provided`, () => {
          const cmd = JSON.parse(keyword('CMD').at(-1)!.getArgumentsContent()!) as string[];
          const line = cmd.join(' ');
          assert.ok(line.includes(`node --import tsx ${image.entry}`), line);
          assert.ok(exists(image.entry));
          assert.ok(
            stage.instructions.some(
              (i) =>
                i.getKeyword() === 'RUN' &&
                runText(i).includes('ln -s /opt/tsx/node_modules/tsx node_modules/tsx'),
            ),
          );
        });

        test('healthcheck: gRPC health via deploy/healthcheck.js on the served port (worker: none, it serves no port)', () => {
          const healthcheck = keyword('HEALTHCHECK').at(-1)?.getArgumentsContent() ?? '';
          if (image.entry.includes('worker')) {
            assert.equal(healthcheck, 'NONE');
            return;
          }
          assert.match(healthcheck, /node deploy\/healthcheck\.js --address "127\.0\.0\.1:\$\{(\w+)\}"/);
          const portVar = /\$\{(\w+)\}/.exec(healthcheck)![1]!;
          const env = stageEnv(stage);
          const exposed = keyword('EXPOSE').flatMap((i) => i.getArguments().map((a) => a.getValue()));
          assert.ok(env.get(portVar), `${portVar} is set in the image`);
          assert.ok(exposed.includes(env.get(portVar)!), `port ${env.get(portVar)} is exposed`);
        });

        test('every environment variable the image sets is one the code reads', () => {
          const known = knownEnvNames(USAGE);
          for (const name of stageEnv(stage).keys()) assert.ok(known.has(name), name);
        });

        test('every file the entry point imports is copied into the image', () => {
          const copied = new Set<string>();
          const collect = (s: Stage, seen: Set<string>): void => {
            if (seen.has(s.name)) return;
            seen.add(s.name);
            const parent = stages.find((p) => p.name === s.from);
            if (parent) collect(parent, seen);
            for (const instruction of s.instructions) {
              if (instruction.getKeyword() !== 'COPY') continue;
              const { flags, sources } = copyParts(instruction);
              const from = flags.get('from');
              if (from === undefined) for (const src of sources) copied.add(path.normalize(src));
              else {
                const other = stages.find((o) => o.name === from);
                if (other) collect(other, seen);
              }
            }
          };
          collect(stage, new Set());
          const closure = importClosure(image.entry);
          assert.deepEqual(closure.unresolved, []);
          const missing = [...closure.files].filter(
            (f) => ![...copied].some((c) => f === c || f.startsWith(`${c}/`)),
          );
          assert.deepEqual(missing, []);
        });

        test('every package the entry point imports at run time is a production dependency', () => {
          const closure = importClosure(image.entry);
          const notProd = [...closure.packages].filter(([name]) => !PROD.has(name));
          // Transitive packages of a production dependency are in the tree too (e.g. long, ws).
          const reallyMissing = notProd.filter(([name]) => !lock.packages[`node_modules/${name}`]);
          assert.deepEqual(reallyMissing, []);
          // tsx is a devDependency the images install separately (/opt/tsx, linked; checked above).
          const devOnly = notProd.filter(([name]) => name in pkg.devDependencies && name !== 'tsx');
          assert.deepEqual(devOnly, [], 'imported at run time but omitted by npm ci --omit=dev');
        });
      });
    }
  });
}

test('the three Dockerfile-specific .dockerignore files are identical', () => {
  const texts = IMAGES.map((i) => read(`${i.dockerfile}.dockerignore`));
  for (const t of texts) assert.equal(t, texts[0]);
});

test('the GPU worker carries both CUDA user spaces and tfjs-node-gpu', () => {
  const { stages } = parseDockerfile('deploy/docker/worker-gpu.Dockerfile');
  const runtime = stages.find((s) => s.name === 'runtime')!;
  const apt = runtime.instructions
    .filter((i) => i.getKeyword() === 'RUN')
    .flatMap((i) => aptPackages(runText(i)));
  for (const lib of ['cuda-cudart-11-8', 'libcublas-11-8', 'libcudnn8']) assert.ok(apt.includes(lib), lib);
  const deps = stages.find((s) => s.name === 'deps')!;
  const commands = deps.instructions.map(runText).join('\n');
  assert.match(commands, /npm rebuild @tensorflow\/tfjs-node-gpu/);
  assert.ok('@tensorflow/tfjs-node-gpu' in (pkg.optionalDependencies ?? {}));
  // tfjs-node-gpu 4.x links libtensorflow 2.9.1 (CUDA 11.2 / cuDNN 8.1 build): CUDA 11 libraries needed.
  assert.match(pkg.optionalDependencies!['@tensorflow/tfjs-node-gpu']!, /^\^?4\./);
});
