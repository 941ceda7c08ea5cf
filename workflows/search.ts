import {
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  type CandidateResult,
  estimateEtaMs,
  LIMITS,
  leaderboard,
  type RankingCheck,
  runSearch,
  type SearchOutcome,
  STAGES,
  type StageName,
  type StageOutcome,
} from '../efficientbert/search';
import type { Activities } from './activities';
import {
  type Control,
  cancelSignal,
  DEFAULT_TRAINING_OPTIONS,
  failedResult,
  parallelismSignal,
  pauseSignal,
  progressQuery,
  resumeSignal,
  type SearchPhase,
  type SearchProgress,
  type SearchStatus,
  type SearchWorkflowInput,
  type SearchWorkflowResult,
  STAGE_ATTR,
  STATUS_ATTR,
  type StageReport,
  setParallelismUpdate,
  stageReportSignal,
  TASK_QUEUE,
  trainInput,
} from './definitions';
import { stageWorkflow, trainingActivities } from './stage';

const { storeSearchOutcome, publishModels } = proxyActivities<Activities>({
  taskQueue: TASK_QUEUE,
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

export function stageWorkflowId(searchId: string, stage: StageName): string {
  return `${searchId}/${stage}`;
}

/**
 * A whole search: a child workflow per stage (ids `<searchId>/stage1..3`), then the final training
 * of the winner. Answers the `progress` query; takes pause/resume/cancel signals and the
 * `setParallelism` update, and forwards them to the running stage.
 */
export async function searchWorkflow(input: SearchWorkflowInput): Promise<SearchWorkflowResult> {
  const { searchId, spec } = input;
  const training = input.training ?? DEFAULT_TRAINING_OPTIONS;
  const topK = spec.topK;
  const startedAtMs = Date.now();
  const control: Control = { paused: false, cancelled: false, parallelism: spec.parallelism };
  let status: SearchStatus = 'RUNNING';
  let phase: SearchPhase = 'pending';
  const reports: Partial<Record<StageName, StageReport>> = {};
  const outcomes: StageOutcome[] = [];
  let winner: CandidateResult | undefined;
  let final: CandidateResult | undefined;
  let baseline: CandidateResult | undefined;
  // The rank check's trainings: as many as the spec asks until the picks are known (maybe fewer).
  let verifyPlanned = spec.verifyRanking ?? 0;
  let rankingCheck: RankingCheck | undefined;
  const trained: CandidateResult[] = [];
  let warmupDoneAtMs: number | undefined;
  let outcomeRef: string | undefined;
  let servedModels: readonly string[] = [];
  let supportScope: CancellationScope | undefined;
  let error: string | undefined;

  const setStatus = (s: SearchStatus) => {
    status = s;
    upsertSearchAttributes([
      { key: STATUS_ATTR, value: s },
      { key: STAGE_ATTR, value: phase },
    ]);
  };
  const toStage = async (signal: 'pause' | 'resume' | 'cancel' | 'parallelism') => {
    if (phase !== 'stage1' && phase !== 'stage2' && phase !== 'stage3') return;
    const child = getExternalWorkflowHandle(stageWorkflowId(searchId, phase));
    try {
      if (signal === 'pause') await child.signal(pauseSignal);
      else if (signal === 'resume') await child.signal(resumeSignal);
      else if (signal === 'cancel') await child.signal(cancelSignal);
      else await child.signal(parallelismSignal, control.parallelism);
    } catch (err) {
      log.info('stage not running; signal not forwarded', { signal, error: String(err) });
    }
  };

  setHandler(pauseSignal, () => {
    if (control.cancelled || control.paused) return;
    control.paused = true;
    setStatus('PAUSED');
    void toStage('pause');
  });
  setHandler(resumeSignal, () => {
    if (control.cancelled || !control.paused) return;
    control.paused = false;
    setStatus('RUNNING');
    void toStage('resume');
  });
  setHandler(cancelSignal, () => {
    if (control.cancelled) return;
    control.cancelled = true;
    setStatus('CANCELLING');
    supportScope?.cancel();
    void toStage('cancel');
  });
  setHandler(
    setParallelismUpdate,
    (n) => {
      const previous = control.parallelism;
      control.parallelism = n;
      void toStage('parallelism');
      return previous;
    },
    {
      validator: (n) => {
        if (!Number.isInteger(n) || n < 1 || n > LIMITS.maxParallelism)
          throw new RangeError(`parallelism must be in [1, ${LIMITS.maxParallelism}]`);
      },
    },
  );
  setHandler(stageReportSignal, (r) => {
    reports[r.stage] = r;
  });

  const progress = (): SearchProgress => {
    let evaluated = 0;
    let planned = 0;
    const results: CandidateResult[] = [];
    for (const s of STAGES) {
      const done = outcomes.find((o) => o.stage === s);
      const r = reports[s];
      evaluated += done?.evaluated ?? r?.evaluated ?? 0;
      planned += spec.stages[s];
      results.push(...(done?.leaderboard ?? r?.leaderboard ?? []));
    }
    // Support trainings count as one evaluation each: the warm-up (unless the spec brings a
    // supernet), the weight-sharing supernet, the final training and the baseline's; and each of
    // the rank check's.
    planned += (spec.supernetRef === undefined ? 4 : 3) + verifyPlanned;
    evaluated += trained.length;
    if (final) results.push(final);
    const board = leaderboard(results, topK);
    const current = phase === 'stage1' || phase === 'stage2' || phase === 'stage3' ? phase : undefined;
    const nowMs = Date.now();
    const elapsedMs = nowMs - startedAtMs;
    const eta =
      status !== 'COMPLETED' && status !== 'CANCELLED' && status !== 'FAILED'
        ? estimateEtaMs({
            nowMs,
            startedAtMs,
            warmupDoneAtMs,
            warmupPlanned: spec.supernetRef === undefined,
            evaluated,
            planned,
          })
        : undefined;
    return {
      searchId,
      status,
      stage: phase,
      evaluated,
      planned,
      stageEvaluated: current
        ? (reports[current]?.evaluated ?? 0)
        : trained.filter((t) => t.stage === phase).length,
      stagePlanned: current
        ? spec.stages[current]
        : phase === 'verify'
          ? verifyPlanned
          : phase === 'pending' || phase === 'done'
            ? 0
            : 1,
      leaderboard: board,
      parallelism: control.parallelism,
      startedAtMs,
      elapsedMs,
      stages: outcomes,
      ...(board[0] ? { best: board[0] } : {}),
      ...(eta === undefined ? {} : { etaMs: eta }),
      ...(winner ? { winner } : {}),
      ...(final ? { final } : {}),
      ...(baseline ? { baseline } : {}),
      ...(rankingCheck ? { rankingCheck } : {}),
      ...(outcomeRef ? { outcomeRef } : {}),
      ...(servedModels.length ? { models: servedModels } : {}),
      ...(error ? { error } : {}),
    };
  };
  setHandler(progressQuery, progress);

  const { trainCandidate } = trainingActivities(training);
  let outcome: SearchOutcome;
  try {
    outcome = await runSearch(searchId, spec, {
      shouldContinue: () => !control.cancelled,
      trainsBaseline: () => patched('train-baseline'),
      verifiesRanking: () => patched('verify-ranking'),
      onRankingPicked: (picks) => {
        verifyPlanned = picks.length;
      },
      onStageStart: (s) => {
        phase = s;
        setStatus(control.paused ? 'PAUSED' : 'RUNNING');
      },
      onStageDone: (o) => {
        outcomes.push(o);
      },
      runStage: async (stageInput) => {
        const sent: Control = { ...control };
        const child = await startChild(stageWorkflow, {
          workflowId: stageWorkflowId(searchId, stageInput.plan.stage),
          taskQueue: TASK_QUEUE,
          args: [
            {
              ...stageInput,
              control: sent,
              training,
              parentId: workflowInfo().workflowId,
              run: 0,
              ...(input.continueAsNewAfterEvents === undefined
                ? {}
                : { continueAsNewAfterEvents: input.continueAsNewAfterEvents }),
            },
          ],
        });
        // Controls that changed while the child was starting did not reach it: send them now.
        if (control.cancelled && !sent.cancelled) await child.signal(cancelSignal);
        else if (control.paused !== sent.paused)
          await child.signal(control.paused ? pauseSignal : resumeSignal);
        if (control.parallelism !== sent.parallelism)
          await child.signal(parallelismSignal, control.parallelism);
        return child.result();
      },
      onTrained: (r) => {
        trained.push(r);
        if (r.stage === 'warmup') warmupDoneAtMs = Date.now();
        if (r.stage === 'final') final = r;
        if (r.stage === 'baseline') baseline = r;
      },
      train: async (candidate, under) => {
        if (candidate.stage === 'final') winner = outcomes[outcomes.length - 1]?.best;
        await condition(() => control.cancelled || !control.paused);
        supportScope = new CancellationScope();
        try {
          return await supportScope.run(() => trainCandidate(trainInput(under, candidate)));
        } catch (err) {
          if (isCancellation(err) || control.cancelled) throw err;
          return failedResult(candidate, err);
        } finally {
          supportScope = undefined;
        }
      },
    });
  } catch (err) {
    if (control.cancelled && isCancellation(err)) {
      outcome = { searchId, stages: outcomes, cancelled: true, ...(winner ? { winner } : {}) };
    } else {
      error = err instanceof Error ? err.message : String(err);
      phase = 'done';
      setStatus(isCancellation(err) ? 'CANCELLED' : 'FAILED');
      throw err;
    }
  }
  winner = outcome.winner ?? winner;
  rankingCheck = outcome.rankingCheck;
  const modelRef = outcome.final?.status === 'ok' ? outcome.final.modelRef : undefined;
  if (modelRef && !outcome.cancelled) {
    // Registration is what makes the winner servable: the inference server watches the repository.
    servedModels = await CancellationScope.nonCancellable(() => publishModels({ searchId, modelRef }));
  }
  outcomeRef = await CancellationScope.nonCancellable(() => storeSearchOutcome(outcome));
  phase = 'done';
  if (outcome.error) error = outcome.error;
  setStatus(outcome.cancelled ? 'CANCELLED' : outcome.error ? 'FAILED' : 'COMPLETED');
  return { outcome, progress: progress(), outcomeRef };
}
