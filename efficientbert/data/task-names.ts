/**
 * The GLUE task names, apart from their readers (glue.ts reads files): pure, so the search spec's
 * rules (a search's tasks must be GLUE tasks) hold in workflow code and at the gateway alike.
 */
export const GLUE_TASK_NAMES = ['sst2', 'cola', 'stsb', 'mrpc', 'rte', 'qnli', 'qqp', 'mnli'] as const;

export type GlueTaskName = (typeof GLUE_TASK_NAMES)[number];

export function isGlueTaskName(name: unknown): name is GlueTaskName {
  return typeof name === 'string' && (GLUE_TASK_NAMES as readonly string[]).includes(name);
}
