/**
 * The input of a search report: plain JSON the search writes when it ends, so a report can be
 * rendered (or re-rendered) long after the search, from a file, with no server running.
 * Architectures travel in the paper's token form, as everywhere else in the system.
 * `validateReportData` checks an untrusted value and names the offending field in every error.
 */
import type { Architecture } from '../../efficientbert/space/ast';
import { ParseError, parseArchitecture } from '../../efficientbert/space/parse';
import type { StudentConfig } from '../../efficientbert/space/presets';

export interface CandidateReport {
  /** Unique within the search, e.g. `stage1-0007`. */
  readonly id: string;
  /** Token form, layers joined by ', ': `linear1_1(gelu(linear1_1(x,wb1)),wb2), ...`. */
  readonly architecture: string;
  /** Exact count (countParameters: embedding, encoder, fit_dense; no task head). */
  readonly parameters: number;
  /** The search reward: the held-out score of the candidate's proxy evaluation. */
  readonly reward: number;
  /** Measured inference latency, or null where it was not measured. */
  readonly latencyMs: number | null;
  /** Name of the stage that evaluated it (the enclosing stage's `name`). */
  readonly stage: string;
}

export interface StageReport {
  readonly name: string;
  /** In evaluation order: the order is what the best-so-far curve plots. */
  readonly candidates: readonly CandidateReport[];
}

export interface WinnerReport {
  readonly architecture: string;
  readonly parameters: number;
  /** Scores of the final trained model, by name: `{ "sst2.accuracy": 0.912 }`. */
  readonly metrics: Readonly<Record<string, number>>;
  readonly latencyMs: number | null;
  /** What latencyMs measures, shown in its label: "served Classify p50 of 30 calls, batch 1, 128 tokens". */
  readonly latencyNote?: string;
}

/**
 * The hand-designed model the winner is measured against: plain GELU FFNs at the winner's
 * parameter budget, through the same final training (efficientbert/search/baseline.ts).
 */
export interface BaselineReport {
  readonly architecture: string;
  readonly parameters: number;
  /** Dev scores of its final training, named like the winner's. */
  readonly metrics: Readonly<Record<string, number>>;
}

/**
 * An evaluated candidate with no score to plot (its training failed, or its architecture was
 * invalid): listed with the rest, left out of the figures. Its architecture may not even parse.
 */
export interface UnscoredCandidate {
  readonly id: string;
  readonly stage: string;
  readonly architecture: string;
  readonly status: 'invalid' | 'failed';
  readonly error: string;
}

/** One candidate of the rank check: its proxy reward in the search and its final training's. */
export interface RankingEntryReport {
  readonly candidateId: string;
  readonly architecture: string;
  readonly parameters: number;
  readonly proxyReward: number;
  /** Null where the final training failed. */
  readonly finalReward: number | null;
  readonly metrics: Readonly<Record<string, number>>;
}

/** The search's proxy-vs-final rank check (`--verify-ranking`). */
export interface RankingCheckReport {
  readonly entries: readonly RankingEntryReport[];
  /** Kendall's tau-b of proxy vs final reward; null where it is undefined (fewer than two, ties). */
  readonly kendallTau: number | null;
}

export interface ReportData {
  readonly searchId: string;
  readonly seed: number;
  readonly preset: { readonly name: string; readonly config: StudentConfig };
  readonly tasks: readonly string[];
  /** ISO 8601 timestamps. */
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly stages: readonly StageReport[];
  readonly winner: WinnerReport;
  /** Absent for a search that ended before its baseline was trained (or a report made before there was one). */
  readonly baseline?: BaselineReport;
  /** Candidates of the stages with no score (failed, invalid); absent or empty when none. */
  readonly unscored?: readonly UnscoredCandidate[];
  /** Absent for a search without a rank check. */
  readonly rankingCheck?: RankingCheckReport;
}

export class ReportDataError extends Error {
  constructor(
    /** Path of the offending field, e.g. `stages[1].candidates[3].reward`. */
    readonly field: string,
    reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'ReportDataError';
  }
}

type Json = Record<string, unknown>;

const STUDENT_CONFIG_FIELDS: readonly (keyof StudentConfig)[] = [
  'vocabSize',
  'hidden',
  'layers',
  'heads',
  'embed',
  'maxPositions',
  'typeVocab',
  'ffnHidden',
  'maxStack',
  'teacherHidden',
  'dropout',
  'maxSeq',
];

function object(value: unknown, field: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ReportDataError(field, `expected an object, got ${describe(value)}`);
  return value as Json;
}

function array(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) throw new ReportDataError(field, `expected an array, got ${describe(value)}`);
  return value;
}

function string(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new ReportDataError(field, `expected a non-empty string, got ${describe(value)}`);
  return value;
}

function finite(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new ReportDataError(field, `expected a finite number, got ${describe(value)}`);
  return value;
}

function count(value: unknown, field: string): number {
  const n = finite(value, field);
  if (!Number.isInteger(n) || n <= 0)
    throw new ReportDataError(field, `expected a positive integer, got ${n}`);
  return n;
}

function latency(value: unknown, field: string): number | null {
  if (value === null) return null;
  const n = finite(value, field);
  if (n < 0) throw new ReportDataError(field, `expected null or a latency ≥ 0 ms, got ${n}`);
  return n;
}

function timestamp(value: unknown, field: string): string {
  const text = string(value, field);
  if (Number.isNaN(Date.parse(text))) throw new ReportDataError(field, `'${text}' is not an ISO 8601 time`);
  return text;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? `'${value}'` : `${typeof value} ${JSON.stringify(value)}`;
}

/** The architecture parsed, with as many layers as the model: what every figure needs. */
function architecture(value: unknown, field: string, config: StudentConfig): string {
  const text = string(value, field);
  let arch: Architecture;
  try {
    arch = parseArchitecture(text);
  } catch (err) {
    if (err instanceof ParseError) throw new ReportDataError(field, err.message);
    throw err;
  }
  if (arch.layers.length !== config.layers)
    throw new ReportDataError(field, `${arch.layers.length} layers, but the preset has ${config.layers}`);
  return text;
}

function studentConfig(value: unknown, field: string): StudentConfig {
  const raw = object(value, field);
  const config: Record<string, number> = {};
  for (const key of STUDENT_CONFIG_FIELDS) {
    // dropout is a probability; every other field is a size.
    config[key] =
      key === 'dropout' ? finite(raw[key], `${field}.${key}`) : count(raw[key], `${field}.${key}`);
  }
  return config as unknown as StudentConfig;
}

function candidate(value: unknown, field: string, stage: string, config: StudentConfig): CandidateReport {
  const raw = object(value, field);
  const stageName = string(raw.stage, `${field}.stage`);
  if (stageName !== stage)
    throw new ReportDataError(`${field}.stage`, `'${stageName}' inside stage '${stage}'`);
  return {
    id: string(raw.id, `${field}.id`),
    architecture: architecture(raw.architecture, `${field}.architecture`, config),
    parameters: count(raw.parameters, `${field}.parameters`),
    reward: finite(raw.reward, `${field}.reward`),
    latencyMs: latency(raw.latencyMs, `${field}.latencyMs`),
    stage: stageName,
  };
}

function stage(value: unknown, field: string, config: StudentConfig): StageReport {
  const raw = object(value, field);
  const name = string(raw.name, `${field}.name`);
  const candidates = array(raw.candidates, `${field}.candidates`).map((c, i) =>
    candidate(c, `${field}.candidates[${i}]`, name, config),
  );
  return { name, candidates };
}

function metricsOf(value: unknown, field: string): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const [name, score] of Object.entries(object(value, field)))
    metrics[name] = finite(score, `${field}.${name}`);
  return metrics;
}

function baseline(value: unknown, field: string, config: StudentConfig): BaselineReport {
  const raw = object(value, field);
  return {
    architecture: architecture(raw.architecture, `${field}.architecture`, config),
    parameters: count(raw.parameters, `${field}.parameters`),
    metrics: metricsOf(raw.metrics, `${field}.metrics`),
  };
}

function winner(value: unknown, field: string, config: StudentConfig): WinnerReport {
  const raw = object(value, field);
  return {
    architecture: architecture(raw.architecture, `${field}.architecture`, config),
    parameters: count(raw.parameters, `${field}.parameters`),
    metrics: metricsOf(raw.metrics, `${field}.metrics`),
    latencyMs: latency(raw.latencyMs, `${field}.latencyMs`),
    ...(raw.latencyNote === undefined
      ? {}
      : { latencyNote: string(raw.latencyNote, `${field}.latencyNote`) }),
  };
}

function unscored(value: unknown, field: string): UnscoredCandidate {
  const raw = object(value, field);
  const status = string(raw.status, `${field}.status`);
  if (status !== 'invalid' && status !== 'failed')
    throw new ReportDataError(`${field}.status`, `expected 'invalid' or 'failed', got '${status}'`);
  if (typeof raw.error !== 'string') throw new ReportDataError(`${field}.error`, `expected a string`);
  return {
    id: string(raw.id, `${field}.id`),
    stage: string(raw.stage, `${field}.stage`),
    architecture: string(raw.architecture, `${field}.architecture`),
    status,
    error: raw.error,
  };
}

function rankingEntry(value: unknown, field: string, config: StudentConfig): RankingEntryReport {
  const raw = object(value, field);
  return {
    candidateId: string(raw.candidateId, `${field}.candidateId`),
    architecture: architecture(raw.architecture, `${field}.architecture`, config),
    parameters: count(raw.parameters, `${field}.parameters`),
    proxyReward: finite(raw.proxyReward, `${field}.proxyReward`),
    finalReward: raw.finalReward === null ? null : finite(raw.finalReward, `${field}.finalReward`),
    metrics: metricsOf(raw.metrics, `${field}.metrics`),
  };
}

function rankingCheck(value: unknown, field: string, config: StudentConfig): RankingCheckReport {
  const raw = object(value, field);
  const tau = raw.kendallTau === null ? null : finite(raw.kendallTau, `${field}.kendallTau`);
  if (tau !== null && (tau < -1 || tau > 1))
    throw new ReportDataError(`${field}.kendallTau`, `expected null or a tau in [-1, 1], got ${tau}`);
  return {
    entries: array(raw.entries, `${field}.entries`).map((e, i) =>
      rankingEntry(e, `${field}.entries[${i}]`, config),
    ),
    kendallTau: tau,
  };
}

/** Checks `value` field by field and returns it typed; throws ReportDataError naming the field. */
export function validateReportData(value: unknown): ReportData {
  const raw = object(value, 'report');
  const presetRaw = object(raw.preset, 'preset');
  const config = studentConfig(presetRaw.config, 'preset.config');
  const stages = array(raw.stages, 'stages').map((s, i) => stage(s, `stages[${i}]`, config));
  if (stages.length === 0) throw new ReportDataError('stages', 'no stages: nothing to report');
  if (stages.every((s) => s.candidates.length === 0))
    throw new ReportDataError('stages', 'no stage evaluated any candidate');
  const seen = new Map<string, string>();
  for (const [i, s] of stages.entries()) {
    if (stages.findIndex((t) => t.name === s.name) !== i)
      throw new ReportDataError(`stages[${i}].name`, `'${s.name}' appears twice`);
    for (const [j, c] of s.candidates.entries()) {
      const where = `stages[${i}].candidates[${j}]`;
      const first = seen.get(c.id);
      if (first) throw new ReportDataError(`${where}.id`, `'${c.id}' is also the id of ${first}`);
      seen.set(c.id, where);
    }
  }
  const startedAt = timestamp(raw.startedAt, 'startedAt');
  const finishedAt = timestamp(raw.finishedAt, 'finishedAt');
  if (Date.parse(finishedAt) < Date.parse(startedAt))
    throw new ReportDataError('finishedAt', `${finishedAt} is before startedAt ${startedAt}`);
  const seed = finite(raw.seed, 'seed');
  if (!Number.isInteger(seed)) throw new ReportDataError('seed', `expected an integer, got ${seed}`);
  const tasks = array(raw.tasks, 'tasks').map((t, i) => string(t, `tasks[${i}]`));
  return {
    searchId: string(raw.searchId, 'searchId'),
    seed,
    preset: { name: string(presetRaw.name, 'preset.name'), config },
    tasks,
    startedAt,
    finishedAt,
    stages,
    winner: winner(raw.winner, 'winner', config),
    ...(raw.baseline === undefined ? {} : { baseline: baseline(raw.baseline, 'baseline', config) }),
    ...(raw.unscored === undefined
      ? {}
      : { unscored: array(raw.unscored, 'unscored').map((u, i) => unscored(u, `unscored[${i}]`)) }),
    ...(raw.rankingCheck === undefined
      ? {}
      : { rankingCheck: rankingCheck(raw.rankingCheck, 'rankingCheck', config) }),
  };
}
