/**
 * The stages of a search and what each evaluation is and gives: candidate specs and results, their
 * ids, and the one order results are ranked in (leaderboards, stage winners, compaction).
 */
export type StageName = 'stage1' | 'stage2' | 'stage3';
export const STAGES: readonly StageName[] = ['stage1', 'stage2', 'stage3'];
/**
 * Trainings outside the candidate stages: the warm-up supernet before stage 1, the weight-sharing
 * supernet stage 3 scores its candidates with, the final training of the winner, and the same
 * final training of the plain baseline the winner is measured against (./baseline.ts).
 */
export type SupportStage = 'warmup' | 'sharing' | 'final' | 'baseline';
/**
 * The proxy-vs-final rank check (./ranking.ts): the best stage 1-2 candidates, each through the
 * baseline's final training again; several per search, so ids carry an index (`verify-0000`).
 */
export type VerifyStage = 'verify';
export type CandidateStage = StageName | SupportStage | VerifyStage;
/** Every kind of training in the order a search runs them. */
export const RUN_ORDER: readonly CandidateStage[] = [
  'warmup',
  'stage1',
  'stage2',
  'sharing',
  'stage3',
  'final',
  'baseline',
  'verify',
];

export interface CandidateSpec {
  readonly searchId: string;
  /** Unique within the search and stable across reruns: `<stage>-<index, 4 digits>`, or the support stage's name. */
  readonly id: string;
  readonly stage: CandidateStage;
  readonly index: number;
  /** The architecture in the paper's notation: one expression per layer, joined by ', '. */
  readonly arch: string;
  /** Training seed for this candidate, drawn from the search PRNG. */
  readonly seed: number;
}

export type CandidateStatus = 'ok' | 'invalid' | 'failed';

export interface CandidateResult {
  readonly id: string;
  readonly stage: CandidateStage;
  readonly index: number;
  readonly arch: string;
  readonly status: CandidateStatus;
  /** Held-out accuracy (the search reward); 0 for invalid or failed candidates. */
  readonly reward: number;
  readonly steps?: number;
  /** Artifact ref of the full result record. */
  readonly resultRef?: string;
  /** Artifact ref of the trained weights, where later steps need them (supernets, the final model). */
  readonly checkpointRef?: string;
  /** Warm-up: the teacher every later training distills from (trained by the warm-up when not given). */
  readonly teacherRef?: string;
  /** Final: the exported model packages (a directory `<name>/<version>/...`) to serve. */
  readonly modelRef?: string;
  /** Measured scores besides the reward, e.g. the final model's dev metrics. */
  readonly metrics?: Readonly<Record<string, number>>;
  readonly error?: string;
  /** Not trained: computes the same function as this earlier candidate, whose outcome it carries. */
  readonly duplicateOf?: string;
  /** Not trained here: the previous stage's winner, carried over with its outcome (same proxy). */
  readonly carriedFrom?: string;
}

export function candidateId(stage: CandidateStage, index: number): string {
  return isSupportStage(stage) ? stage : `${stage}-${String(index).padStart(4, '0')}`;
}

export function isSupportStage(stage: CandidateStage): stage is SupportStage {
  return stage === 'warmup' || stage === 'sharing' || stage === 'final' || stage === 'baseline';
}

/** Best first; ties broken by stage order then index, so the order never depends on timing. */
export function compareResults(a: CandidateResult, b: CandidateResult): number {
  if (b.reward !== a.reward) return b.reward - a.reward;
  const sa = RUN_ORDER.indexOf(a.stage);
  const sb = RUN_ORDER.indexOf(b.stage);
  if (sa !== sb) return sa - sb;
  return a.index - b.index;
}

/** The `k` best successful results, in `compareResults` order. */
export function leaderboard(results: readonly CandidateResult[], k: number): CandidateResult[] {
  return results
    .filter((r) => r.status === 'ok')
    .sort(compareResults)
    .slice(0, k);
}
