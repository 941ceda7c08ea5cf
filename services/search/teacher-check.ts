/**
 * StartSearch's check of `spec.teacher_ref` against the artifact store: the teacher exists (a
 * missing one answers NOT_FOUND now, not as a training failing minutes later on a worker), and a
 * teacher fine-tuned with named labels fixes a user dataset's label order.
 *
 * Why the order: a teacher whose head is as wide as the task's label set is that task's own
 * teacher (distill/teacher-set.ts), so the student learns its output i as the teacher's output i.
 * The data's labels sorted by name need not be the teacher's id order; its id2label says which
 * logit means what.
 */
import { ArtifactNotFoundError, type ArtifactStore } from '../../efficientbert/artifacts';
import { namedTeacherLabels, teacherFolderOf } from '../../efficientbert/distill/stored-teacher';
import type { SearchSpec } from '../../efficientbert/search';
import type { DataProblem } from './data';

const FIELD = 'spec.teacher_ref';

const list = (labels: readonly string[]) => labels.join(', ');

/**
 * The spec to start (its dataset's labels in the teacher's order where that applies), or why the
 * teacher cannot start it. `dataLabels` are the dataset's labels as read from its train file.
 */
export async function checkTeacher(
  store: ArtifactStore,
  spec: SearchSpec,
  dataLabels: readonly string[] | undefined,
): Promise<{ spec: SearchSpec; problem?: DataProblem }> {
  const ref = spec.teacherRef;
  if (ref === undefined) return { spec };
  let named: string[];
  try {
    named = await namedTeacherLabels(store, await teacherFolderOf(store, ref, spec.data?.name));
  } catch (err) {
    if (err instanceof ArtifactNotFoundError)
      return {
        spec,
        problem: { kind: 'not-found', field: FIELD, message: `teacher ${ref} not found (import it first)` },
      };
    return {
      spec,
      problem: {
        kind: 'invalid',
        field: FIELD,
        message: `${ref} is not a teacher: ${(err as Error).message}`,
      },
    };
  }
  const data = spec.data;
  if (data?.kind !== 'classification' || !dataLabels || named.length !== dataLabels.length) return { spec };
  if (data.labels) {
    if (data.labels.every((l, i) => l === named[i])) return { spec };
    return {
      spec,
      problem: {
        kind: 'invalid',
        field: 'spec.data.labels',
        message: `must be the teacher's labels in its order (${list(named)}), got (${list(data.labels)})`,
      },
    };
  }
  const mine = new Set(dataLabels);
  if (!named.every((l) => mine.has(l)))
    return {
      spec,
      problem: {
        kind: 'invalid',
        field: FIELD,
        message:
          `the teacher's labels (${list(named)}) are not the data's (${list(dataLabels)}): its head is ` +
          'as wide, so its outputs would be distilled into the wrong labels; name the data labels as the teacher does',
      },
    };
  return { spec: { ...spec, data: { ...data, labels: named } } };
}
