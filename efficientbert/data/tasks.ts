/**
 * The tasks a training can name: the GLUE tasks read from a data folder, plus at most one user task
 * whose examples are already in memory. Trainings ask the catalog, never a reader, so a user task
 * and a GLUE task are used the same way.
 */
import { type Example, glueTask, readGlueSplit, type TaskKind } from './glue';
import type { MetricName } from './metrics';
import type { UserTask } from './user-data';

export interface TaskDefinition {
  readonly name: string;
  readonly kind: TaskKind;
  /** Label names in logit order (empty for regression). */
  readonly labels: readonly string[];
  /** The first is the task's primary score. */
  readonly metrics: readonly MetricName[];
}

export interface TaskCatalog {
  definition(task: string): TaskDefinition;
  examples(task: string, split: 'train' | 'dev'): readonly Example[];
}

export function glueCatalog(glueDir: string): TaskCatalog {
  return {
    definition: (task) => glueTask(task),
    examples: (task, split) => readGlueSplit(glueDir, task, split),
  };
}

/** `base` with `user` added; the user task's name shadows nothing (validated as not a GLUE name). */
export function withUserTask(base: TaskCatalog, user: UserTask): TaskCatalog {
  return {
    definition: (task) => (task === user.name ? user : base.definition(task)),
    examples: (task, split) => (task === user.name ? user[split] : base.examples(task, split)),
  };
}
