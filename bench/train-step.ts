/**
 * Speed of one supernet KD fine-tuning train step (spec §4.1 warm-up supernet: every layer at 4
 * full-width GELU blocks) at the `small` preset, seq 64, batch 32, with a teacher forward, against
 * the same backend's plain matmul speed measured in the same run. Prints one JSON object.
 *
 * Without --backend it measures, in one run, every backend that can start (tensorflow when
 * `npm run setup:native` has installed it, then wasm), each in its own process, and the same
 * step in PyTorch on the CPU (bench/train_step_torch.py; PyPI torch installed by
 * bench/pytorch-setup.sh), and reports tokens/s of each and the ratio ours / PyTorch.
 *
 *   node --import tsx bench/train-step.ts [--steps 8] [--backend wasm|tensorflow] [--no-pytorch]
 */
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Prng } from '../efficientbert/core/prng';
import { kdStepLoss, type LabeledBatch } from '../efficientbert/distill/kd-step';
import { singleTaskTeachers } from '../efficientbert/distill/teacher-set';
import { train } from '../efficientbert/distill/trainer';
import { selectBackend } from '../efficientbert/model/backend';
import { classificationHead } from '../efficientbert/model/heads';
import { toEncoderInputs } from '../efficientbert/model/inputs';
import { noDropout } from '../efficientbert/model/layers';
import { plainArchitecture } from '../efficientbert/model/published-arch';
import { StudentModel } from '../efficientbert/model/student-model';
import { Teacher } from '../efficientbert/model/teacher';
import type { TeacherConfig } from '../efficientbert/model/teacher-config';
import * as tf from '../efficientbert/model/tf';
import { nativeDir } from '../efficientbert/native/paths';
import { PRESETS } from '../efficientbert/space/presets';
import { studentForwardFlopsPerToken, teacherForwardFlopsPerToken } from './lib/train-step-flops';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '8' },
    backend: { type: 'string' },
    'no-pytorch': { type: 'boolean', default: false },
  },
});
const BATCH = 32;
const SEQ = 64;
const MATMUL: [number, number, number] = [2048, 512, 512];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Wall and CPU (user + system of this process) milliseconds of `fn`. */
function timed(fn: () => void): { wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const c = process.cpuUsage(c0);
  return { wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 };
}

/** The teacher's forward alone on the batch (no tape): median wall and CPU ms of 5 runs after warm-up. */
function teacherForwardMs(teacher: Teacher, batch: LabeledBatch): { wall: number; cpu: number } {
  const runs: { wall: number; cpu: number }[] = [];
  for (let i = 0; i < 6; i++) {
    const t = timed(() =>
      tf.tidy(() => {
        teacher.forward(toEncoderInputs(batch), noDropout).logits!.dataSync();
      }),
    );
    if (i >= 1) runs.push(t);
  }
  return { wall: median(runs.map((r) => r.wall)), cpu: median(runs.map((r) => r.cpu)) };
}

/** Plain [m,k]x[k,n] matmul: median wall and CPU ms of 20 runs after warm-up. */
function matmulMs([m, k, n]: [number, number, number]): { wall: number; cpu: number } {
  const a = tf.randomNormal([m, k], 0, 1, 'float32', 1);
  const b = tf.randomNormal([k, n], 0, 1, 'float32', 2);
  const runs: { wall: number; cpu: number }[] = [];
  for (let i = 0; i < 25; i++) {
    // Returning the TypedArray from tidy would make tidy walk it element by element.
    const t = timed(() =>
      tf.tidy(() => {
        tf.matMul(a, b).dataSync();
      }),
    );
    if (i >= 5) runs.push(t);
  }
  tf.dispose([a, b]);
  return { wall: median(runs.map((r) => r.wall)), cpu: median(runs.map((r) => r.cpu)) };
}

function syntheticBatch(rng: Prng, vocab: number): LabeledBatch & { batchSize: number } {
  return {
    inputIds: Int32Array.from({ length: BATCH * SEQ }, (_, i) =>
      i % SEQ === 0 ? 101 : 1000 + rng.int(vocab - 1000),
    ),
    tokenTypeIds: new Int32Array(BATCH * SEQ),
    attentionMask: new Int32Array(BATCH * SEQ).fill(1),
    labels: Int32Array.from({ length: BATCH }, () => rng.int(2)),
    batchSize: BATCH,
    seqLen: SEQ,
  };
}

const config = PRESETS.small;
const teacherConfig: TeacherConfig = {
  vocabSize: config.vocabSize,
  hidden: config.teacherHidden,
  layers: config.layers,
  heads: config.heads,
  intermediate: 4 * config.teacherHidden,
  hiddenAct: 'gelu',
  maxPositions: 512,
  typeVocab: 2,
  layerNormEps: 1e-12,
  dropout: 0.1,
  numLabels: 2,
};

async function measureBackend(name: string): Promise<void> {
  const backend = await selectBackend(name);
  const rng = Prng.fromSeed(1);
  const teacher = Teacher.random(teacherConfig, rng.fork());
  const teachers = singleTaskTeachers(teacher);
  const supernet = StudentModel.supernet(config, [classificationHead('bench', 2)], rng.fork());
  const arch = plainArchitecture(config.layers, config.maxStack as 4, 1);
  const batch = syntheticBatch(rng, config.vocabSize);
  const steps = Number(args.steps);
  const stepMs: { wall: number; cpu: number }[] = [];
  let last = { wall: performance.now(), cpu: process.cpuUsage() };
  train({
    params: supernet.params,
    loss: (b, ctx) => kdStepLoss(supernet, arch, teachers, b, ctx, 'bench'),
    openData: () => ({ next: () => batch, state: () => null }),
    totalSteps: steps + 2,
    peakLr: 1e-4,
    seed: 1,
    dropoutRate: config.dropout,
    progressEverySteps: 1,
    onProgress: (p) => {
      const now = { wall: performance.now(), cpu: process.cpuUsage() };
      const cpu = process.cpuUsage(last.cpu);
      // The first two steps compile kernels and allocate the optimizer moments.
      if (p.step > 2) stepMs.push({ wall: now.wall - last.wall, cpu: (cpu.user + cpu.system) / 1000 });
      last = now;
    },
  });
  const step = { wall: median(stepMs.map((t) => t.wall)), cpu: median(stepMs.map((t) => t.cpu)) };
  const tokens = BATCH * SEQ;
  const studentFlops = 3 * studentForwardFlopsPerToken(config, arch, SEQ) * tokens;
  const teacherFlops = teacherForwardFlopsPerToken(teacherConfig, SEQ) * tokens;
  const teacherMs = teacherForwardMs(teacher, batch);
  const mm = matmulMs(MATMUL);
  const mmFlops = 2 * MATMUL[0] * MATMUL[1] * MATMUL[2];
  const gflops = (flops: number, ms: number) => Number((flops / ms / 1e6).toFixed(2));
  // On a shared machine wall time includes waiting for the CPU; CPU time of this process does
  // not, so the CPU-time ratio is the headline and the wall-clock one is reported beside it.
  const stepCpuGflops = gflops(studentFlops + teacherFlops, step.cpu);
  const mmCpuGflops = gflops(mmFlops, mm.cpu);
  console.log(
    JSON.stringify({
      backend: backend.name,
      preset: 'small',
      seq: SEQ,
      batch: BATCH,
      step: 'supernet (4 layers x 4 full-width GELU blocks) KD fine-tuning: teacher forward + student forward/backward + AdamW',
      teacher: `${teacherConfig.layers} layers, hidden ${teacherConfig.hidden}, intermediate ${teacherConfig.intermediate}, ${teacherConfig.heads} heads`,
      flopFormula:
        'matmul FLOPs only: 3 x student forward (forward + backward ~ 2x forward) + 1 x teacher forward; per token student = 2*3E*H + sum_layers(8H^2 + 4LH + stack*4HI) + (layers+1)*2*H*Ht, teacher = layers*(8H^2 + 4LH + 4HI)',
      stepGflop: Number(((studentFlops + teacherFlops) / 1e9).toFixed(2)),
      studentGflop: Number((studentFlops / 1e9).toFixed(2)),
      stepMsCpu: Number(step.cpu.toFixed(1)),
      stepMsWall: Number(step.wall.toFixed(1)),
      tokensPerSecCpu: Math.round((tokens * 1000) / step.cpu),
      tokensPerSecWall: Math.round((tokens * 1000) / step.wall),
      stepGflopsCpu: stepCpuGflops,
      studentOnlyGflopsCpu: gflops(studentFlops, step.cpu),
      stepGflopsWall: gflops(studentFlops + teacherFlops, step.wall),
      matmulShape: MATMUL,
      matmulGflopsCpu: mmCpuGflops,
      matmulGflopsWall: gflops(mmFlops, mm.wall),
      ratio: Number((stepCpuGflops / mmCpuGflops).toFixed(3)),
      studentOnlyRatio: Number((gflops(studentFlops, step.cpu) / mmCpuGflops).toFixed(3)),
      // The student's share: step time minus the teacher forward measured alone on the same batch.
      teacherForwardMsCpu: Number(teacherMs.cpu.toFixed(1)),
      studentPartGflopsCpu: gflops(studentFlops, step.cpu - teacherMs.cpu),
      studentPartRatio: Number((gflops(studentFlops, step.cpu - teacherMs.cpu) / mmCpuGflops).toFixed(3)),
      ratioWall: Number(
        (gflops(studentFlops + teacherFlops, step.wall) / gflops(mmFlops, mm.wall)).toFixed(3),
      ),
      loadAverage1m: Number(os.loadavg()[0]!.toFixed(2)),
    }),
  );
  teacher.dispose();
  supernet.dispose();
}

/** The last JSON line a command printed, or the reason there is none. */
function runJson(
  command: string,
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): Record<string, unknown> {
  const run = spawnSync(command, argv, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const line = run.stdout.trim().split('\n').pop() ?? '';
  if (run.status === 0 && line.startsWith('{')) return JSON.parse(line) as Record<string, unknown>;
  const why = run.stderr
    .trim()
    .split('\n')
    .filter((l) => /error|Error|not/.test(l))
    .pop();
  return { skipped: `${command} exited ${run.status}: ${why ?? run.stderr.slice(-300)}` };
}

/** The same step in PyTorch on this machine's cores, after the bench's own install of torch. */
function measurePytorch(steps: number): Record<string, unknown> {
  const setup = spawnSync('bash', [path.join(__dirname, 'pytorch-setup.sh')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (setup.status !== 0) return { skipped: 'bench/pytorch-setup.sh failed' };
  const torchDir = path.join(nativeDir(), 'torch');
  const shape = {
    threads: os.availableParallelism(),
    batch: BATCH,
    seq: SEQ,
    steps,
    student: {
      vocab: config.vocabSize,
      embed: config.embed,
      hidden: config.hidden,
      layers: config.layers,
      heads: config.heads,
      ffn: config.ffnHidden,
      stack: config.maxStack,
      dropout: config.dropout,
    },
    teacher: { ...teacherConfig, vocab: teacherConfig.vocabSize },
  };
  const env = { ...process.env, PYTHONPATH: [torchDir, process.env.PYTHONPATH].filter(Boolean).join(':') };
  return runJson('python3', [path.join(__dirname, 'train_step_torch.py'), JSON.stringify(shape)], env);
}

/** Every backend that starts, each in a fresh process (one tfjs backend per process), and PyTorch. */
function compareAll(): void {
  const backends: Record<string, Record<string, unknown>> = {};
  for (const name of ['tensorflow', 'wasm']) {
    backends[name] = runJson(process.execPath, [
      ...process.execArgv,
      __filename,
      '--backend',
      name,
      '--steps',
      args.steps!,
    ]);
  }
  const pytorch = args['no-pytorch'] ? { skipped: '--no-pytorch' } : measurePytorch(Number(args.steps));
  const ratio = (ours: unknown, theirs: unknown) =>
    typeof ours === 'number' && typeof theirs === 'number' ? Number((ours / theirs).toFixed(3)) : null;
  const vsPytorch = Object.fromEntries(
    Object.entries(backends).map(([name, r]) => [
      name,
      {
        tokensPerSecWall: ratio(r.tokensPerSecWall, pytorch.tokensPerSecWall),
        tokensPerSecCpu: ratio(r.tokensPerSecCpu, pytorch.tokensPerSecCpu),
      },
    ]),
  );
  console.log(
    JSON.stringify({
      step: 'supernet KD fine-tuning step, preset small, seq 64, batch 32 (same model and loss in PyTorch)',
      cores: os.availableParallelism(),
      backends,
      pytorch,
      oursVsPytorch: { ...vsPytorch, goal: 0.8 },
      loadAverage1m: Number(os.loadavg()[0]!.toFixed(2)),
    }),
  );
}

async function main(): Promise<void> {
  if (args.backend) await measureBackend(args.backend);
  else compareAll();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
