import {
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  type CandidateResult,
  compactStageState,
  leaderboard,
  runStage,
  type SearchExecutor,
  type StageControl,
  type StageOutcome,
  type StageState,
  samplerFor,
} from '../efficientbert/search';
import type { Activities } from './activities';
import {
  type Control,
  cancelSignal,
  failedResult,
  GPU_TASK_QUEUE,
  INVALID_ARCHITECTURE,
  parallelismSignal,
  pauseSignal,
  resumeSignal,
  type StageReport,
  type StageWorkflowInput,
  stageCandidatesQuery,
  stageProgressQuery,
  stageReportSignal,
  type TrainingOptions,
  trainInput,
} from './definitions';

export function trainingActivities(training: TrainingOptions) {
  return proxyActivities<Activities>({
    taskQueue: GPU_TASK_QUEUE,
    heartbeatTimeout: training.heartbeatTimeoutMs,
    startToCloseTimeout: training.startToCloseTimeoutMs,
    cancellationType: 'WAIT_CANCELLATION_COMPLETED',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '1m',
      maximumAttempts: training.maxAttempts,
      nonRetryableErrorTypes: [INVALID_ARCHITECTURE],
    },
  });
}

/**
 * One stage of a search: runs the shared stage driver with activities as the executor, and
 * continues as new between batches when the history grows long.
 */
export async function stageWorkflow(input: StageWorkflowInput): Promise<StageOutcome> {
  const { spec, plan, searchId } = input;
  const control: Control = { ...input.control };
  let state: StageState = input.state;
  let inFlight = 0;
  let scope: CancellationScope | undefined;
  const { trainCandidate } = trainingActivities(input.training);
  const topK = spec.topK;

  setHandler(pauseSignal, () => {
    control.paused = true;
  });
  setHandler(resumeSignal, () => {
    control.paused = false;
  });
  setHandler(cancelSignal, () => {
    control.cancelled = true;
    scope?.cancel();
  });
  setHandler(parallelismSignal, (n) => {
    if (Number.isInteger(n) && n >= 1) control.parallelism = n;
  });
  const report = (): StageReport => ({
    stage: plan.stage,
    evaluated: state.evaluated.length,
    planned: plan.planned,
    leaderboard: leaderboard(state.evaluated, topK),
    run: input.run,
  });
  setHandler(stageProgressQuery, report);
  setHandler(stageCandidatesQuery, () => state.evaluated);

  const executor: SearchExecutor = {
    async evaluate(candidates) {
      const results: (CandidateResult | undefined)[] = new Array(candidates.length);
      const pending: Promise<void>[] = [];
      scope = new CancellationScope();
      await scope.run(async () => {
        for (let i = 0; i < candidates.length; i++) {
          await condition(() => control.cancelled || (!control.paused && inFlight < control.parallelism));
          if (control.cancelled) break;
          const c = candidates[i]!;
          inFlight++;
          pending.push(
            trainCandidate(trainInput(spec, c))
              .then(
                (r) => {
                  results[i] = r;
                },
                (err) => {
                  if (isCancellation(err) || control.cancelled) return;
                  log.warn('candidate failed for good', { id: c.id, error: String(err) });
                  results[i] = failedResult(c, err);
                },
              )
              .finally(() => {
                inFlight--;
              }),
          );
        }
        await Promise.all(pending);
      });
      scope = undefined;
      // On cancel, only the prefix of finished candidates counts (the stage stops after this batch).
      const done: CandidateResult[] = [];
      for (const r of results) {
        if (!r) break;
        done.push(r);
      }
      return done;
    },
    async beforeBatch(): Promise<StageControl> {
      await condition(() => control.cancelled || !control.paused);
      return control.cancelled ? 'stop' : 'continue';
    },
    async afterBatch(next) {
      state = next;
      if (input.parentId) {
        try {
          await getExternalWorkflowHandle(input.parentId).signal(stageReportSignal, report());
        } catch (err) {
          log.warn('could not report to the parent', { error: String(err) });
        }
      }
      const info = workflowInfo();
      const threshold = input.continueAsNewAfterEvents;
      const long = threshold !== undefined && info.historyLength >= threshold;
      if (
        (info.continueAsNewSuggested || long) &&
        next.evaluated.length < plan.planned &&
        !control.cancelled
      ) {
        await continueAsNew<typeof stageWorkflow>({
          ...input,
          state: compactStageState(next, topK),
          control,
          run: input.run + 1,
        });
      }
    },
  };

  return runStage(searchId, spec, plan, state, samplerFor(spec), executor);
}
