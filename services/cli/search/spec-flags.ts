/**
 * `search start` flags → the StartSearch request. The server validates the spec and names the bad
 * field, and fills what is left unset from the preset (stage counts, trainings, budget); here we
 * only parse numbers.
 */
import { randomUUID } from 'node:crypto';
import { isPresetName } from '../../../efficientbert/core/presets';
import { PLAN_PRESETS } from '../../../efficientbert/search';
import { intFlag, listFlag, numberFlag, type ParsedArgs } from '../args';
import { UsageError } from '../command';
import type { Message } from '../rpc';
import { methodFromFlag } from './method-flag';

export const SPEC_OPTIONS = {
  preset: { type: 'string' },
  tasks: { type: 'string' },
  teacher: { type: 'string' },
  'teacher-dir': { type: 'string' },
  supernet: { type: 'string' },
  seed: { type: 'string' },
  parallelism: { type: 'string' },
  'batch-size': { type: 'string' },
  stage1: { type: 'string' },
  stage2: { type: 'string' },
  stage3: { type: 'string' },
  steps: { type: 'string' },
  'final-steps': { type: 'string' },
  'checkpoint-every': { type: 'string' },
  'fake-step-ms': { type: 'string' },
  'min-params': { type: 'string' },
  'max-params': { type: 'string' },
  'top-k': { type: 'string' },
  'verify-ranking': { type: 'string' },
  method: { type: 'string' },
  'request-id': { type: 'string' },
  train: { type: 'string' },
  dev: { type: 'string' },
  'text-column': { type: 'string' },
  'text-pair-column': { type: 'string' },
  'label-column': { type: 'string' },
  labels: { type: 'string' },
  'task-kind': { type: 'string' },
  'task-name': { type: 'string' },
} as const;

export const SPEC_DEFAULTS = {
  preset: 'tiny',
  tasks: 'sst2',
  seed: 42,
} as const;

export const SPEC_HELP = `  --preset tiny|small|paper       student scale (default ${SPEC_DEFAULTS.preset})
  --tasks LIST                    GLUE tasks, comma-separated (default ${SPEC_DEFAULTS.tasks})
  --data DIR                      GLUE data folder as the workers see it (configuration: EFFICIENTBERT_DATA)
  --train FILE --dev FILE         your own dataset instead of GLUE (.csv, .tsv with a header row, or
                                  .jsonl objects), uploaded to the search service; every training and
                                  the served model use it, answering with its labels (sorted)
  --text-column C --text-pair-column C --label-column C
                                  which columns hold the text, the optional second text, the label
                                  (default text, none, label)
  --labels L1,L2,...              classification: the labels in the model's output order, each data
                                  label among them (default: the teacher's id2label when named, else
                                  the train file's labels sorted)
  --task-kind classification|regression   (default classification: any number of string labels)
  --task-name NAME                the dataset's task name; served as <search id>-NAME (default custom)
  --teacher REF / --supernet REF  artifact refs (sha256:...) to start from (default: trained by the search)
  --teacher-dir DIR               a Hugging Face BERT folder, imported through the search service
                                  (as \`teacher import DIR\`) and used as --teacher
  --seed N                        (default ${SPEC_DEFAULTS.seed}); same seed, same answer
  --parallelism N                 candidates trained at once (default 1; does not change the answer)
  --batch-size N                  candidates sampled per batch (default 10)
  --stage1 N --stage2 N --stage3 N  candidates per stage (default: the preset's, tiny 12/8/8)
  --steps N --final-steps N       fake trainer only: steps per candidate and of the final training
                                  (the kd trainer's come from the preset)
  --checkpoint-every N            checkpoint period in steps (default max(100, steps / 2))
  --fake-step-ms N                fake trainer only: milliseconds per step
  --min-params M --max-params M   parameter budget in millions
  --top-k N                       leaderboard length (default 10)
  --verify-ranking N              after the baseline, train the N best distinct stage 1-2 candidates
                                  through the same final training and report Kendall's tau between
                                  proxy and final rewards (default 0: none; at most 20)
  --method JSON|@FILE             training settings (MethodSettings of search.proto, snake_case), e.g.
                                  '{"warmup":{"finetune_steps":600}}'; unset fields take the preset's
  --request-id ID                 idempotency key: the same id never starts a second search
                                  (default: a fresh random id)`;

export function startRequestFromFlags(values: ParsedArgs['values'], dataDir: string): Message {
  // --teacher-dir is imported into a ref by the caller: with --teacher too, which one would win?
  if (values.teacher !== undefined && values['teacher-dir'] !== undefined)
    throw new UsageError(
      '--teacher and --teacher-dir: give one (--teacher-dir imports a folder as the teacher)',
    );
  const minParams = numberFlag(values, 'min-params');
  const maxParams = numberFlag(values, 'max-params');
  if ((minParams === undefined) !== (maxParams === undefined))
    throw new UsageError('--min-params and --max-params go together');
  // A user dataset is the search's task: GLUE is then only used when named.
  const tasks = listFlag(values, 'tasks') ?? (values.train === undefined ? [SPEC_DEFAULTS.tasks] : []);
  const preset = (values.preset as string | undefined) ?? SPEC_DEFAULTS.preset;
  const plan = isPresetName(preset) ? PLAN_PRESETS[preset] : undefined;
  const counts = (['stage1', 'stage2', 'stage3'] as const).map((k) => intFlag(values, k));
  // Unset counts take the preset's; an unknown preset is left for the server to name.
  const stages = counts.some((c) => c !== undefined)
    ? {
        stage1_candidates: counts[0] ?? plan?.stage1.candidates ?? 0,
        stage2_candidates: counts[1] ?? plan?.stage2.candidates ?? 0,
        stage3_candidates: counts[2] ?? plan?.stage3.candidates ?? 0,
      }
    : null;
  return {
    request_id: (values['request-id'] as string | undefined) ?? randomUUID(),
    spec: {
      preset,
      tasks,
      data_dir: dataDir,
      teacher_ref: (values.teacher as string | undefined) ?? '',
      supernet_ref: (values.supernet as string | undefined) ?? '',
      seed: intFlag(values, 'seed') ?? SPEC_DEFAULTS.seed,
      parallelism: intFlag(values, 'parallelism') ?? 0,
      batch_size: intFlag(values, 'batch-size') ?? 0,
      stages,
      budget: {
        steps: intFlag(values, 'steps') ?? 0,
        final_steps: intFlag(values, 'final-steps') ?? 0,
        checkpoint_every: intFlag(values, 'checkpoint-every') ?? 0,
        fake_step_millis: intFlag(values, 'fake-step-ms') ?? 0,
      },
      param_range: minParams === undefined ? null : { min_millions: minParams, max_millions: maxParams },
      top_k: intFlag(values, 'top-k') ?? 0,
      verify_ranking: intFlag(values, 'verify-ranking') ?? 0,
      method: values.method === undefined ? null : methodFromFlag(values.method as string),
    },
  };
}
