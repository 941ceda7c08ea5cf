/**
 * What a candidate's trainer takes from a plan (the sampler settings stay with the workflow), and
 * a request's overrides of it. A search spec carries the complete settings, filled once where the
 * request is decoded, so a search's trainings are fixed when it starts even if a preset changes.
 */
import type { FinalPlan, KdSchedule, ProxyTraining, SearchPlan, Stage3Plan, WarmupPlan } from './presets';

export interface MethodSettings {
  readonly warmup: WarmupPlan;
  /** Stages 1 and 2 share one proxy training. */
  readonly proxy: ProxyTraining;
  readonly weightSharing: Stage3Plan['weightSharing'];
  readonly scoring: Stage3Plan['scoring'];
  readonly final: FinalPlan;
}

export function methodOf(plan: SearchPlan): MethodSettings {
  return {
    warmup: plan.warmup,
    proxy: plan.stage1.proxy,
    weightSharing: plan.stage3.weightSharing,
    scoring: plan.stage3.scoring,
    final: plan.final,
  };
}

/** A plan with `method`'s trainings in place of its own (the proxy serves stages 1 and 2). */
export function withMethod(plan: SearchPlan, method: MethodSettings): SearchPlan {
  return {
    ...plan,
    warmup: method.warmup,
    stage1: { ...plan.stage1, proxy: method.proxy },
    stage2: { ...plan.stage2, proxy: method.proxy },
    stage3: { ...plan.stage3, weightSharing: method.weightSharing, scoring: method.scoring },
    final: method.final,
  };
}

type Overrides<T> = { readonly [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : Overrides<T[K]> };

/** Settings a request names; every field left out keeps the preset's value. */
export type MethodOverrides = Overrides<MethodSettings>;

function schedule(d: KdSchedule, o: Overrides<KdSchedule> | undefined): KdSchedule {
  return {
    pretrainSteps: o?.pretrainSteps ?? d.pretrainSteps,
    pretrainLearningRate: o?.pretrainLearningRate ?? d.pretrainLearningRate,
    finetuneSteps: o?.finetuneSteps ?? d.finetuneSteps,
    finetuneLearningRate: o?.finetuneLearningRate ?? d.finetuneLearningRate,
    batchSize: o?.batchSize ?? d.batchSize,
  };
}

/** `d` with the fields `o` names replaced, field by field. */
export function mergeMethod(d: MethodSettings, o: MethodOverrides | undefined): MethodSettings {
  return {
    warmup: {
      teacher: {
        layers: o?.warmup?.teacher?.layers ?? d.warmup.teacher.layers,
        heads: o?.warmup?.teacher?.heads ?? d.warmup.teacher.heads,
        steps: o?.warmup?.teacher?.steps ?? d.warmup.teacher.steps,
        learningRate: o?.warmup?.teacher?.learningRate ?? d.warmup.teacher.learningRate,
        finetuneLearningRate:
          o?.warmup?.teacher?.finetuneLearningRate ?? d.warmup.teacher.finetuneLearningRate,
      },
      ...schedule(d.warmup, o?.warmup),
      task: o?.warmup?.task ?? d.warmup.task,
      trainFraction: o?.warmup?.trainFraction ?? d.warmup.trainFraction,
      taskFinetune: o?.warmup?.taskFinetune ?? d.warmup.taskFinetune,
    },
    proxy: {
      ...schedule(d.proxy, o?.proxy),
      task: o?.proxy?.task ?? d.proxy.task,
      trainFraction: o?.proxy?.trainFraction ?? d.proxy.trainFraction,
      heldOutFraction: o?.proxy?.heldOutFraction ?? d.proxy.heldOutFraction,
    },
    weightSharing: {
      ...schedule(d.weightSharing, o?.weightSharing),
      tasks: o?.weightSharing?.tasks ?? [...d.weightSharing.tasks],
      trainFraction: o?.weightSharing?.trainFraction ?? d.weightSharing.trainFraction,
    },
    scoring: {
      task: o?.scoring?.task ?? d.scoring.task,
      heldOutFraction: o?.scoring?.heldOutFraction ?? d.scoring.heldOutFraction,
    },
    final: {
      ...schedule(d.final, o?.final),
      tasks: o?.final?.tasks ?? [...d.final.tasks],
    },
  };
}
