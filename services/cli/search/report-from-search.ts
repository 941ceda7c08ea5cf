/**
 * ReportData from what the Search API returns (GetSearch + every page of ListCandidates): the
 * report's stages hold every scored candidate of each stage, `unscored` the failed and invalid
 * ones, and the rank check comes from SearchInfo.ranking_check. A search measures no latency, so the candidates' is null
 * (the type allows it and the report then leaves the latency figures out); the winner's is the
 * served model's, when the CLI could measure it (served-latency.ts). Parameter counts are exact:
 * computed from each architecture and the preset.
 */

import { countParameters } from '../../../efficientbert/space/params';
import { parseArchitecture } from '../../../efficientbert/space/parse';
import { presetByName } from '../../../efficientbert/space/presets';
import type {
  CandidateReport,
  RankingCheckReport,
  ReportData,
  StageReport,
  UnscoredCandidate,
} from '../../report/report-data';
import { EXIT, UsageError } from '../command';
import type { Message } from '../rpc';
import { latencyNote, type ServedLatency } from './served-latency';

const SEARCH_STAGES = ['stage1', 'stage2', 'stage3'];

/** An unset proto3 optional arrives absent (a oneof member gets no default). */
function kendallTauOf(check: Message): number | null {
  return typeof check.kendall_tau === 'number' ? check.kendall_tau : null;
}

function rankingCheckOf(check: Message, parameters: (arch: string) => number): RankingCheckReport {
  return {
    entries: (check.entries ?? []).map((e: Message) => ({
      candidateId: e.candidate_id,
      architecture: e.arch,
      parameters: parameters(e.arch),
      proxyReward: e.proxy_reward,
      finalReward: e.status === 'ok' ? e.final_reward : null,
      metrics: Object.fromEntries(Object.entries(e.metrics ?? {}).filter(([k]) => k !== 'loss')),
    })),
    kendallTau: kendallTauOf(check),
  };
}

export function reportDataFromSearch(
  info: Message,
  candidates: readonly Message[],
  servedLatency: ServedLatency | null,
): ReportData {
  const spec: Message | null = info.spec;
  const progress: Message | null = info.progress;
  if (!spec || !progress)
    throw new UsageError(`search ${info.search_id} has no progress yet: nothing to report`, EXIT.failure);
  const config = presetByName(spec.preset);
  const parameters = (arch: string) => countParameters(config, parseArchitecture(arch));
  const entries: Message[] = candidates
    .filter((c) => c.status === 'ok')
    .sort((a, b) => b.reward - a.reward || SEARCH_STAGES.indexOf(a.stage) - SEARCH_STAGES.indexOf(b.stage));
  const unscored = candidates
    .filter((c) => c.status !== 'ok')
    .map(
      (c): UnscoredCandidate => ({
        id: c.id,
        stage: c.stage,
        architecture: c.arch,
        status: c.status,
        error: c.error ?? '',
      }),
    );
  const stages: StageReport[] = SEARCH_STAGES.map((name) => ({
    name,
    candidates: entries
      .filter((c) => c.stage === name)
      .sort((a, b) => a.index - b.index)
      .map(
        (c): CandidateReport => ({
          id: c.id,
          architecture: c.arch,
          parameters: parameters(c.arch),
          reward: c.reward,
          latencyMs: null,
          stage: name,
        }),
      ),
  })).filter((s) => s.candidates.length > 0);
  const trained: Message | null = info.final?.arch
    ? info.final
    : info.winner?.arch
      ? info.winner
      : entries[0];
  if (!trained || stages.length === 0)
    throw new UsageError(
      `search ${info.search_id} has no evaluated candidate yet: nothing to report`,
      EXIT.failure,
    );
  const startedMs = Number(progress.started_at_ms) || Date.now();
  const task = spec.tasks?.[0] ?? 'task';
  const devMetrics = (c: Message): Record<string, number> =>
    Object.fromEntries(Object.entries(c.metrics ?? {}).filter(([k]) => k !== 'loss')) as Record<
      string,
      number
    >;
  const base: Message | null = info.baseline?.status === 'ok' ? info.baseline : null;
  return {
    searchId: info.search_id,
    seed: spec.seed,
    preset: { name: spec.preset, config },
    tasks: spec.tasks ?? [],
    startedAt: new Date(startedMs).toISOString(),
    finishedAt: new Date(startedMs + Number(progress.elapsed_ms ?? 0)).toISOString(),
    stages,
    winner: {
      architecture: trained.arch,
      parameters: parameters(trained.arch),
      // The final training's dev scores where it ran, else the search reward (held-out score).
      metrics:
        trained === info.final && Object.keys(devMetrics(trained)).length > 0
          ? devMetrics(trained)
          : { [`${task}.reward`]: trained.reward },
      latencyMs: servedLatency?.p50Ms ?? null,
      ...(servedLatency ? { latencyNote: latencyNote(servedLatency) } : {}),
    },
    ...(base
      ? {
          baseline: { architecture: base.arch, parameters: parameters(base.arch), metrics: devMetrics(base) },
        }
      : {}),
    ...(unscored.length > 0 ? { unscored } : {}),
    ...(info.ranking_check ? { rankingCheck: rankingCheckOf(info.ranking_check, parameters) } : {}),
  };
}
