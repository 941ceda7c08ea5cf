/**
 * The `method` of a search spec (proto MethodSettings) ↔ MethodSettings: unset fields take the
 * preset's values, so a client overrides only what it names; the merged settings are validated by
 * the plan's own rules, their field paths rewritten to the request's (`spec.method.proxy.batch_size`).
 */
import { GLUE_TASKS } from '../../efficientbert/data/glue';
import type { FieldError } from '../../efficientbert/search/driver';
import {
  type KdSchedule,
  type MethodSettings,
  methodOf,
  PLAN_PRESETS,
  type PlanPreset,
  validateSearchPlan,
} from '../../efficientbert/search/plan/presets';

type Pb<T> = {
  [K in keyof T]?: T[K] extends readonly string[] ? string[] : T[K] extends object ? Pb<T[K]> | null : T[K];
};

export interface PbMethod {
  warmup?: Pb<PbWarmup> | null;
  proxy?: Pb<PbProxy> | null;
  weight_sharing?: Pb<PbSharing> | null;
  scoring?: Pb<PbScoring> | null;
  final?: Pb<PbFinal> | null;
}

interface PbSteps {
  pretrain_steps: number;
  pretrain_learning_rate: number;
  finetune_steps: number;
  finetune_learning_rate: number;
  batch_size: number;
}
interface PbWarmup extends PbSteps {
  teacher: { layers: number; heads: number; steps: number; learning_rate: number };
  task: string;
  train_fraction: number;
}
interface PbProxy extends PbSteps {
  task: string;
  train_fraction: number;
  held_out_fraction: number;
}
interface PbSharing extends PbSteps {
  tasks: string[];
  train_fraction: number;
}
interface PbScoring {
  task: string;
  held_out_fraction: number;
}
interface PbFinal extends PbSteps {
  tasks: string[];
}

/** proto3 leaves unset scalars at 0 / "" / []: those mean "the preset's value". */
function or<T>(value: T | undefined | null, fallback: T): T {
  if (value === undefined || value === null || value === 0 || value === '') return fallback;
  if (Array.isArray(value) && value.length === 0) return fallback;
  return value;
}

function steps(pb: Pb<PbSteps> | null | undefined, d: KdSchedule): KdSchedule {
  return {
    pretrainSteps: or(pb?.pretrain_steps, d.pretrainSteps),
    pretrainLearningRate: or(pb?.pretrain_learning_rate, d.pretrainLearningRate),
    finetuneSteps: or(pb?.finetune_steps, d.finetuneSteps),
    finetuneLearningRate: or(pb?.finetune_learning_rate, d.finetuneLearningRate),
    batchSize: or(pb?.batch_size, d.batchSize),
  };
}

function snake(path: string): string {
  return path.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Plan field paths → request field paths (the proxy appears in stages 1 and 2 of a plan). */
const PLAN_TO_REQUEST: readonly [RegExp, string][] = [
  [/^warmup\b/, 'spec.method.warmup'],
  [/^stage[12]\.proxy\b/, 'spec.method.proxy'],
  [/^stage3\.weightSharing\b/, 'spec.method.weight_sharing'],
  [/^stage3\.scoring\b/, 'spec.method.scoring'],
  [/^final\b/, 'spec.method.final'],
];

/** The preset's settings with every task field naming `task` (a user dataset replaces GLUE). */
function onTask(d: MethodSettings, task: string): MethodSettings {
  return {
    warmup: { ...d.warmup, task },
    proxy: { ...d.proxy, task },
    weightSharing: { ...d.weightSharing, tasks: [task] },
    scoring: { ...d.scoring, task },
    final: { ...d.final, tasks: [task] },
  };
}

/** `userTask`: the search's own dataset; unset task fields default to it, and it is a known task. */
export function methodFromPb(
  preset: string,
  pb: PbMethod | null | undefined,
  userTask?: string,
): { method?: MethodSettings; errors: FieldError[] } {
  const plan = PLAN_PRESETS[preset as PlanPreset];
  if (!plan) return { errors: [] }; // the spec's own validation reports the preset
  const d = userTask === undefined ? methodOf(plan) : onTask(methodOf(plan), userTask);
  const method: MethodSettings = {
    warmup: {
      teacher: {
        layers: or(pb?.warmup?.teacher?.layers, d.warmup.teacher.layers),
        heads: or(pb?.warmup?.teacher?.heads, d.warmup.teacher.heads),
        steps: or(pb?.warmup?.teacher?.steps, d.warmup.teacher.steps),
        learningRate: or(pb?.warmup?.teacher?.learning_rate, d.warmup.teacher.learningRate),
      },
      ...steps(pb?.warmup, d.warmup),
      task: or(pb?.warmup?.task, d.warmup.task),
      trainFraction: or(pb?.warmup?.train_fraction, d.warmup.trainFraction),
    },
    proxy: {
      ...steps(pb?.proxy, d.proxy),
      task: or(pb?.proxy?.task, d.proxy.task),
      trainFraction: or(pb?.proxy?.train_fraction, d.proxy.trainFraction),
      heldOutFraction: or(pb?.proxy?.held_out_fraction, d.proxy.heldOutFraction),
    },
    weightSharing: {
      ...steps(pb?.weight_sharing, d.weightSharing),
      tasks: or(pb?.weight_sharing?.tasks, [...d.weightSharing.tasks]),
      trainFraction: or(pb?.weight_sharing?.train_fraction, d.weightSharing.trainFraction),
    },
    scoring: {
      task: or(pb?.scoring?.task, d.scoring.task),
      heldOutFraction: or(pb?.scoring?.held_out_fraction, d.scoring.heldOutFraction),
    },
    final: {
      ...steps(pb?.final, d.final),
      tasks: or(pb?.final?.tasks, [...d.final.tasks]),
    },
  };
  const errors = validateMethod(preset as PlanPreset, method, userTask);
  return errors.length ? { errors } : { method, errors };
}

/** The plan's rules on `method`, plus what only a running search needs: tasks we have readers for. */
export function validateMethod(preset: PlanPreset, method: MethodSettings, userTask?: string): FieldError[] {
  const plan = PLAN_PRESETS[preset];
  const merged = {
    ...plan,
    warmup: method.warmup,
    stage1: { ...plan.stage1, proxy: method.proxy },
    stage2: { ...plan.stage2, proxy: method.proxy },
    stage3: { ...plan.stage3, weightSharing: method.weightSharing, scoring: method.scoring },
    final: method.final,
  };
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  for (const e of validateSearchPlan(merged)) {
    const rule = PLAN_TO_REQUEST.find(([re]) => re.test(e.field));
    if (!rule) continue;
    const field = snake(e.field.replace(rule[0], rule[1]));
    if (seen.has(field)) continue;
    seen.add(field);
    errors.push({ field, message: e.message.slice(e.field.length + 1) });
  }
  const known = (field: string, task: string) => {
    if (!(task in GLUE_TASKS) && task !== userTask && !seen.has(field))
      errors.push({
        field,
        message: `must be ${userTask ? `'${userTask}' (spec.data) or ` : ''}a GLUE task (${Object.keys(GLUE_TASKS).join(', ')}), got '${task}'`,
      });
  };
  known('spec.method.warmup.task', method.warmup.task);
  known('spec.method.proxy.task', method.proxy.task);
  for (const [i, t] of method.weightSharing.tasks.entries())
    known(`spec.method.weight_sharing.tasks[${i}]`, t);
  known('spec.method.scoring.task', method.scoring.task);
  for (const [i, t] of method.final.tasks.entries()) known(`spec.method.final.tasks[${i}]`, t);
  const { scoring, weightSharing } = method;
  if (weightSharing.tasks.includes(scoring.task) && weightSharing.trainFraction + scoring.heldOutFraction > 1)
    errors.push({
      field: 'spec.method.scoring.held_out_fraction',
      message: 'must not overlap spec.method.weight_sharing.train_fraction (sum <= 1)',
    });
  return errors;
}

export function methodToPb(m: MethodSettings) {
  const stepsPb = (s: KdSchedule) => ({
    pretrain_steps: s.pretrainSteps,
    pretrain_learning_rate: s.pretrainLearningRate,
    finetune_steps: s.finetuneSteps,
    finetune_learning_rate: s.finetuneLearningRate,
    batch_size: s.batchSize,
  });
  return {
    warmup: {
      teacher: {
        layers: m.warmup.teacher.layers,
        heads: m.warmup.teacher.heads,
        steps: m.warmup.teacher.steps,
        learning_rate: m.warmup.teacher.learningRate,
      },
      ...stepsPb(m.warmup),
      task: m.warmup.task,
      train_fraction: m.warmup.trainFraction,
    },
    proxy: {
      ...stepsPb(m.proxy),
      task: m.proxy.task,
      train_fraction: m.proxy.trainFraction,
      held_out_fraction: m.proxy.heldOutFraction,
    },
    weight_sharing: {
      ...stepsPb(m.weightSharing),
      tasks: [...m.weightSharing.tasks],
      train_fraction: m.weightSharing.trainFraction,
    },
    scoring: { task: m.scoring.task, held_out_fraction: m.scoring.heldOutFraction },
    final: { ...stepsPb(m.final), tasks: [...m.final.tasks] },
  };
}
