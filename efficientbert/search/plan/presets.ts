/**
 * Plans of the three-stage progressive search and the final training (spec §4.2-4.4, §3): plain
 * typed data saying what each stage searches, how many candidates, how each is scored, with every
 * count configurable and three presets. Architectures are strings in token form
 * (`linear1_1(gelu(linear1_1(x,wb1)),wb2)`, layers joined by ', '), so a plan travels as JSON
 * (gRPC, Temporal payloads) without the space's types. The rules a plan must satisfy are in
 * validate.ts; what a trainer takes from a plan, in method.ts.
 */
import type { PresetName } from '../../core/presets';
import { LINEAR_NAMES } from '../../space/linear-names';
import { PRESETS } from '../../space/presets';
import type { ParamBudget } from '../../space/sample';

/** Every KD training of a search: pre-training KD (attention + hidden), then fine-tuning KD. */
export interface KdSchedule {
  readonly pretrainSteps: number;
  readonly pretrainLearningRate: number;
  readonly finetuneSteps: number;
  readonly finetuneLearningRate: number;
  readonly batchSize: number;
}

/**
 * A candidate's proxy training ("warm-up KD" from the supernet) and its reward, stages 1-2.
 * Reference: pre-training on 2% of one Wikipedia epoch, fine-tuning 3 epochs over the first 10% of MNLI.
 */
export interface ProxyTraining extends KdSchedule {
  readonly task: string;
  /** Leading share of the task's train set used for fine-tuning. */
  readonly trainFraction: number;
  /** Trailing share of the train set held out for the reward (reference: last 1%). */
  readonly heldOutFraction: number;
}

/** Settings of the LaNAS sampler a stage runs (see lanas/sampler.ts). */
export interface StageSampler {
  readonly nInit: number;
  readonly trainInterval: number;
  readonly cp: number;
  readonly splitThresholds: readonly number[];
  /**
   * Share of proposals drawn as neighbours of the chosen leaf's best samples (1-2 layers redrawn
   * from the stage's own plan) rather than uniformly; the leaf's classifiers still accept each.
   * 0 is the reference's uniform rejection sampling (bench/lanas: 0.49x of random search; 0.5: 0.31x).
   */
  readonly localShare: number;
}

interface StageCommon {
  readonly candidates: number;
  /** Candidates evaluated at once; never changes the answer, only the wall time. */
  readonly parallelism: number;
  readonly sampler: StageSampler;
}

/** Stage 1: expressions and sizes jointly, under the parameter budget. */
export interface Stage1Plan extends StageCommon {
  /**
   * Inclusive bounds in parameters, counted like the space's `countParameters` (reference:
   * [15e6, 16e6]). Undefined: no budget (the tiny/small presets, far below the paper's size).
   */
  readonly paramBudget?: ParamBudget;
  /** One-layer expressions each layer mutates from (reference: the 16 plain GELU FFNs). */
  readonly seeds: readonly string[];
  /** The first candidate evaluated, a whole architecture (reference: all-linear1_1). */
  readonly firstCandidate: string;
  readonly proxy: ProxyTraining;
}

/** Stage 2: expressions only, sizes frozen to the stage-1 winner. */
export interface Stage2Plan extends StageCommon {
  /** Per layer, the seed is the stage-1 winner's expression or the plain GELU FFN, at random. */
  readonly seedFrom: 'winner-or-plain';
  readonly proxy: ProxyTraining;
}

/** Stage 3: sizes only, expressions frozen, scored with weight-shared training. */
export interface Stage3Plan extends StageCommon {
  readonly paramBudget?: ParamBudget;
  /** Per layer: the stage-2 size or any of the 16. */
  readonly sizeChoices: 'stage2-or-any';
  /** One uniformly drawn sub-network per step; fine-tuning is multi-task, one task per batch. */
  readonly weightSharing: KdSchedule & {
    readonly tasks: readonly string[];
    readonly trainFraction: number;
  };
  /** Candidates are scored with the shared weights, no further training. */
  readonly scoring: { readonly task: string; readonly heldOutFraction: number };
}

/**
 * The warm-up supernet (spec §4.1): the teachers (the general one trained from scratch on `task`
 * when the search names none, one fine-tuned per task from it), then general KD of the supernet
 * (pre-training KD, attention and hidden states only) over the union of every task's train text,
 * the stand-in for the reference's Wikipedia, and optionally a KD fine-tune on `task`. Each task
 * contributes the leading `trainFraction` of its train set, never a held-out tail.
 */
export interface WarmupPlan extends KdSchedule {
  readonly teacher: {
    readonly layers: number;
    readonly heads: number;
    /** Teacher width is the preset's `teacherHidden`; its FFN is 4x that, as in BERT. */
    readonly steps: number;
    /** A teacher trained here from scratch. */
    readonly learningRate: number;
    /**
     * A task teacher fine-tuned from a given, pre-trained encoder: BERT's fine-tuning range (the
     * from-scratch rate wrecks it: MiniLM's SST-2 teacher stayed at chance with 1e-3).
     */
    readonly finetuneLearningRate: number;
  };
  readonly task: string;
  readonly trainFraction: number;
  /**
   * Whether general KD is followed by `finetuneSteps` of KD fine-tuning on `task`. The reference
   * never does this (`paper` leaves it off); `tiny` and `small` keep it because their proxies
   * fine-tune for a few dozen steps only, too few to train a task head from nothing.
   */
  readonly taskFinetune: boolean;
}

/** Training of the winner: KD pre-training, then KD fine-tuning per task. */
export interface FinalPlan extends KdSchedule {
  readonly tasks: readonly string[];
}

export interface SearchPlan {
  readonly preset: PresetName;
  readonly layers: number;
  readonly warmup: WarmupPlan;
  readonly stage1: Stage1Plan;
  readonly stage2: Stage2Plan;
  readonly stage3: Stage3Plan;
  readonly final: FinalPlan;
}

/** `linearX_Y(gelu(linearX_Y(x,wb1)),wb2)` for the 16 sizes, X-major. */
export const PLAIN_GELU_SEEDS: readonly string[] = LINEAR_NAMES.map((l) => `${l}(gelu(${l}(x,wb1)),wb2)`);

/** The all-linear1_1 plain GELU model, stage 1's first candidate. */
export function allLinear11(layers: number): string {
  return Array.from({ length: layers }, () => PLAIN_GELU_SEEDS[0]!).join(', ');
}

const GLUE8 = ['mnli', 'qqp', 'qnli', 'sst2', 'cola', 'stsb', 'mrpc', 'rte'] as const;

function plan(
  preset: PresetName,
  s: {
    candidates: [number, number, number];
    parallelism: number;
    sampler: StageSampler;
    proxy: ProxyTraining;
    paramBudget?: ParamBudget;
    weightSharing: Stage3Plan['weightSharing'];
    scoring: Stage3Plan['scoring'];
    final: FinalPlan;
    warmup: WarmupPlan;
  },
): SearchPlan {
  const budget = s.paramBudget === undefined ? {} : { paramBudget: s.paramBudget };
  // The student's depth is the preset's shape (space/presets.ts), not a second number here.
  const layers = PRESETS[preset].layers;
  return {
    preset,
    layers,
    warmup: s.warmup,
    stage1: {
      candidates: s.candidates[0],
      parallelism: s.parallelism,
      sampler: s.sampler,
      ...budget,
      seeds: PLAIN_GELU_SEEDS,
      firstCandidate: allLinear11(layers),
      proxy: s.proxy,
    },
    stage2: {
      candidates: s.candidates[1],
      parallelism: s.parallelism,
      sampler: s.sampler,
      seedFrom: 'winner-or-plain',
      proxy: s.proxy,
    },
    stage3: {
      candidates: s.candidates[2],
      parallelism: s.parallelism,
      sampler: s.sampler,
      ...budget,
      sizeChoices: 'stage2-or-any',
      weightSharing: s.weightSharing,
      scoring: s.scoring,
    },
    final: s.final,
  };
}

/**
 * tiny: a whole search in minutes on 2 cores (tests, CI); small: SST-2 on CPU in about 3 hours
 * (2 cores, tensorflow backend; 4 with bench/search-quality's rank checks);
 * paper: the reference's settings where the spec gives them. The reference never states its
 * candidate counts (spec §4.5) and gives data sizes in epochs; the paper preset's counts and step
 * numbers are our estimates (steps = examples / global batch, batch = 64 per GPU × GPUs).
 */
export const PLAN_PRESETS: Readonly<Record<PresetName, SearchPlan>> = {
  tiny: plan('tiny', {
    candidates: [12, 8, 8],
    warmup: {
      teacher: { layers: 2, heads: 2, steps: 300, learningRate: 1e-3, finetuneLearningRate: 1e-4 },
      pretrainSteps: 60,
      pretrainLearningRate: 1e-3,
      finetuneSteps: 120,
      finetuneLearningRate: 1e-3,
      batchSize: 32,
      task: 'sst2',
      trainFraction: 0.5,
      taskFinetune: true,
    },
    parallelism: 2,
    // Few samples: the first tree after 6, deeper as soon as there are enough to split.
    sampler: { nInit: 6, trainInterval: 2, cp: 0.01, splitThresholds: [10, 20, 40, 80], localShare: 0.5 },
    proxy: {
      pretrainSteps: 20,
      pretrainLearningRate: 1e-3,
      finetuneSteps: 30,
      finetuneLearningRate: 1e-3,
      batchSize: 16,
      task: 'sst2',
      trainFraction: 0.1,
      heldOutFraction: 0.05,
    },
    weightSharing: {
      pretrainSteps: 40,
      pretrainLearningRate: 1e-3,
      finetuneSteps: 40,
      finetuneLearningRate: 1e-3,
      batchSize: 16,
      tasks: ['sst2', 'stsb'],
      trainFraction: 0.9,
    },
    scoring: { task: 'sst2', heldOutFraction: 0.1 },
    final: {
      pretrainSteps: 50,
      pretrainLearningRate: 1e-3,
      finetuneSteps: 50,
      finetuneLearningRate: 1e-3,
      batchSize: 16,
      tasks: ['sst2'],
    },
  }),
  small: plan('small', {
    candidates: [60, 40, 40],
    warmup: {
      teacher: { layers: 4, heads: 4, steps: 2000, learningRate: 1e-3, finetuneLearningRate: 5e-5 },
      pretrainSteps: 1000,
      pretrainLearningRate: 1e-3,
      finetuneSteps: 2000,
      finetuneLearningRate: 1e-3,
      batchSize: 32,
      task: 'sst2',
      trainFraction: 0.9,
      taskFinetune: true,
    },
    parallelism: 4,
    sampler: { nInit: 10, trainInterval: 5, cp: 0.01, splitThresholds: [20, 40, 80, 160], localShare: 0.5 },
    proxy: {
      pretrainSteps: 200,
      pretrainLearningRate: 1e-4,
      finetuneSteps: 300,
      finetuneLearningRate: 4e-4,
      batchSize: 32,
      task: 'sst2',
      trainFraction: 0.1,
      heldOutFraction: 0.02,
    },
    weightSharing: {
      pretrainSteps: 1000,
      pretrainLearningRate: 1e-4,
      finetuneSteps: 1000,
      finetuneLearningRate: 4e-4,
      batchSize: 32,
      tasks: ['sst2', 'stsb'],
      trainFraction: 0.9,
    },
    scoring: { task: 'sst2', heldOutFraction: 0.1 },
    final: {
      pretrainSteps: 2000,
      pretrainLearningRate: 1e-4,
      finetuneSteps: 2000,
      finetuneLearningRate: 5e-5,
      batchSize: 32,
      tasks: ['sst2'],
    },
  }),
  paper: plan('paper', {
    candidates: [1000, 500, 500],
    // A search at this size is given a fine-tuned BERT-base teacher (teacher_ref); these teacher
    // settings only apply without one.
    warmup: {
      teacher: { layers: 12, heads: 12, steps: 30_000, learningRate: 5e-5, finetuneLearningRate: 2e-5 },
      pretrainSteps: 200_000,
      pretrainLearningRate: 1e-4,
      finetuneSteps: 30_000,
      finetuneLearningRate: 4e-4,
      batchSize: 256,
      task: 'mnli',
      trainFraction: 0.9,
      taskFinetune: false,
    },
    parallelism: 2,
    sampler: {
      nInit: 80,
      trainInterval: 10,
      cp: 0.01,
      splitThresholds: [400, 800, 1600, 3200],
      localShare: 0.5,
    },
    proxy: {
      pretrainSteps: 3000,
      pretrainLearningRate: 1e-4,
      // 3 epochs × 10% of MNLI (≈39 k examples) at 64 × 2 GPUs.
      finetuneSteps: 920,
      finetuneLearningRate: 4e-4,
      batchSize: 128,
      task: 'mnli',
      trainFraction: 0.1,
      heldOutFraction: 0.01,
    },
    paramBudget: { min: 15e6, max: 16e6 },
    weightSharing: {
      pretrainSteps: 200_000,
      pretrainLearningRate: 1e-4,
      finetuneSteps: 30_000,
      finetuneLearningRate: 4e-4,
      batchSize: 256,
      tasks: [...GLUE8],
      trainFraction: 0.9,
    },
    scoring: { task: 'mnli', heldOutFraction: 0.1 },
    final: {
      pretrainSteps: 200_000,
      pretrainLearningRate: 1e-4,
      finetuneSteps: 120_000,
      finetuneLearningRate: 5e-5,
      batchSize: 32,
      tasks: [...GLUE8],
    },
  }),
};

/**
 * The warm-up's KD fine-tune steps when the search is given a pre-trained teacher (teacher_ref)
 * instead of training one here. A teacher trained here from scratch on the task has hidden states
 * that are the task's features, which general KD has already matched; a pre-trained teacher's are
 * general-purpose, and a random student needs a few hundred steps to pick the task up from them
 * (tiny, MiniLM's SST-2 teacher: chance up to step 200, 0.73 at 400, 0.78 at 600; README). Where
 * the preset already fine-tunes that long, it is the same number.
 */
export const GIVEN_TEACHER_WARMUP_FINETUNE_STEPS: Readonly<Record<PresetName, number>> = {
  tiny: 600,
  small: PLAN_PRESETS.small.warmup.finetuneSteps,
  paper: PLAN_PRESETS.paper.warmup.finetuneSteps,
};
