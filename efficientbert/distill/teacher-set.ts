/**
 * The teachers of a search, as the reference distils: a general teacher for pre-training KD
 * (attention and hidden states only, no task head) and a teacher fine-tuned on each task for that
 * task's fine-tuning KD. With one teacher for every task, a 2-class task's student logits met the
 * warm-up task's 3-class teacher logits (a crash), and tasks with equal label counts silently
 * learned another task's logits.
 *
 * Every teacher of a set has the same encoder shape (they are fine-tuned from the general one),
 * because a student's single fit_dense maps its hidden states to one teacher width.
 */
import type { TaskCatalog } from '../data/tasks';
import type { Teacher } from '../model/teacher';
import type { MethodSettings } from '../search/plan/method';

export interface TeacherSet {
  readonly general: Teacher;
  /** The teacher of `task`'s fine-tuning KD; throws when the set has none for it. */
  forTask(task: string): Teacher;
}

/** How a teacher set is stored: a JSON artifact naming teacher folders (directory manifests). */
export interface TeacherSetManifest {
  readonly kind: 'efficientbert.teacher-set';
  readonly version: 1;
  readonly general: string;
  readonly tasks: Readonly<Record<string, string>>;
}

export function teacherSetManifest(
  general: string,
  tasks: Readonly<Record<string, string>>,
): TeacherSetManifest {
  const sorted = Object.fromEntries(Object.entries(tasks).sort(([a], [b]) => a.localeCompare(b)));
  return { kind: 'efficientbert.teacher-set', version: 1, general, tasks: sorted };
}

export function isTeacherSetManifest(v: unknown): v is TeacherSetManifest {
  return (
    typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'efficientbert.teacher-set'
  );
}

/** The tasks whose fine-tuning KD needs a teacher: every task a training fine-tunes on. */
export function kdTasksOf(method: MethodSettings): string[] {
  return [
    ...new Set([method.warmup.task, method.proxy.task, ...method.weightSharing.tasks, ...method.final.tasks]),
  ].sort();
}

/** The head width a teacher of `task` has: 1 for regression, else the label count. */
export function teacherOutputsFor(catalog: TaskCatalog, task: string): number {
  const t = catalog.definition(task);
  return t.kind === 'regression' ? 1 : t.labels.length;
}

/**
 * A set from loaded teachers. A task with no teacher of its own falls back to the general one
 * only when that one's head is as wide as the task needs (a single fine-tuned teacher given to a
 * single-task search); otherwise the error names the task, never a broadcast failure mid-batch.
 */
export function teacherSet(
  general: Teacher,
  perTask: ReadonlyMap<string, Teacher>,
  catalog: TaskCatalog,
): TeacherSet {
  return {
    general,
    forTask(task) {
      const own = perTask.get(task);
      if (own) return own;
      if (general.config.numLabels === teacherOutputsFor(catalog, task)) return general;
      throw new Error(
        `no teacher for task '${task}': the teacher has ${general.config.numLabels} outputs and ` +
          `'${task}' needs ${teacherOutputsFor(catalog, task)}; let the warm-up fine-tune one ` +
          '(leave supernet_ref unset) or give a teacher set',
      );
    },
  };
}

/** One teacher for pre-training and for its own task: single-task training outside a search. */
export function singleTaskTeachers(teacher: Teacher): TeacherSet {
  return { general: teacher, forTask: () => teacher };
}
