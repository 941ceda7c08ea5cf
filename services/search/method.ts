/**
 * The `method` of a search spec (proto MethodSettings) ↔ MethodSettings: unset fields take the
 * preset's values, so a client overrides only what it names; the merged settings are checked by
 * the library's rules (efficientbert/search/spec.ts), their field paths under the request's
 * (`spec.method.proxy.batch_size`).
 */
import { type FieldError, underField } from '../../efficientbert/core/field-errors';
import { isPresetName } from '../../efficientbert/core/presets';
import {
  type KdSchedule,
  type MethodOverrides,
  type MethodSettings,
  mergeMethod,
  presetMethodFor,
  validateMethod,
} from '../../efficientbert/search';

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
  teacher: {
    layers: number;
    heads: number;
    steps: number;
    learning_rate: number;
    finetune_learning_rate: number;
  };
  task: string;
  train_fraction: number;
  task_finetune: PbTaskFinetune;
}
type PbTaskFinetune =
  | 'WARMUP_TASK_FINETUNE_UNSPECIFIED'
  | 'WARMUP_TASK_FINETUNE_ON'
  | 'WARMUP_TASK_FINETUNE_OFF';

function taskFinetuneToPb(on: boolean): PbTaskFinetune {
  return on ? 'WARMUP_TASK_FINETUNE_ON' : 'WARMUP_TASK_FINETUNE_OFF';
}

function taskFinetuneFromPb(v: string | null | undefined): boolean | undefined {
  if (v === 'WARMUP_TASK_FINETUNE_ON') return true;
  if (v === 'WARMUP_TASK_FINETUNE_OFF') return false;
  return undefined;
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
function set<T>(value: T | undefined | null): T | undefined {
  if (value === undefined || value === null || value === 0 || value === '') return undefined;
  if (Array.isArray(value) && value.length === 0) return undefined;
  return value;
}

function steps(pb: Pb<PbSteps> | null | undefined): Partial<KdSchedule> {
  return {
    pretrainSteps: set(pb?.pretrain_steps),
    pretrainLearningRate: set(pb?.pretrain_learning_rate),
    finetuneSteps: set(pb?.finetune_steps),
    finetuneLearningRate: set(pb?.finetune_learning_rate),
    batchSize: set(pb?.batch_size),
  };
}

/** The fields a request names; proto defaults are left undefined (the preset's value). */
function methodOverridesFromPb(pb: PbMethod | null | undefined): MethodOverrides {
  return {
    warmup: {
      teacher: {
        layers: set(pb?.warmup?.teacher?.layers),
        heads: set(pb?.warmup?.teacher?.heads),
        steps: set(pb?.warmup?.teacher?.steps),
        learningRate: set(pb?.warmup?.teacher?.learning_rate),
        finetuneLearningRate: set(pb?.warmup?.teacher?.finetune_learning_rate),
      },
      ...steps(pb?.warmup),
      task: set(pb?.warmup?.task),
      trainFraction: set(pb?.warmup?.train_fraction),
      taskFinetune: taskFinetuneFromPb(pb?.warmup?.task_finetune),
    },
    proxy: {
      ...steps(pb?.proxy),
      task: set(pb?.proxy?.task),
      trainFraction: set(pb?.proxy?.train_fraction),
      heldOutFraction: set(pb?.proxy?.held_out_fraction),
    },
    weightSharing: {
      ...steps(pb?.weight_sharing),
      tasks: set(pb?.weight_sharing?.tasks),
      trainFraction: set(pb?.weight_sharing?.train_fraction),
    },
    scoring: { task: set(pb?.scoring?.task), heldOutFraction: set(pb?.scoring?.held_out_fraction) },
    final: { ...steps(pb?.final), tasks: set(pb?.final?.tasks) },
  };
}

/**
 * The preset's trainings with the request's overrides, checked; errors name the request fields.
 * `userTask`: the search's own dataset; task fields the request leaves unset name it.
 */
export function methodFromPb(
  preset: string,
  pb: PbMethod | null | undefined,
  base: { userTask?: string | undefined; teacherGiven: boolean } = { teacherGiven: false },
): { method?: MethodSettings; errors: FieldError[] } {
  if (!isPresetName(preset)) return { errors: [] }; // the spec's own validation reports the preset
  const { userTask } = base;
  const method = mergeMethod(presetMethodFor(preset, base), methodOverridesFromPb(pb));
  const errors = underField('spec', validateMethod(preset, method, userTask));
  return errors.length ? { errors } : { method, errors };
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
        finetune_learning_rate: m.warmup.teacher.finetuneLearningRate,
      },
      ...stepsPb(m.warmup),
      task: m.warmup.task,
      train_fraction: m.warmup.trainFraction,
      task_finetune: taskFinetuneToPb(m.warmup.taskFinetune),
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
