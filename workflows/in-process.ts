/**
 * The same search control flow as the Temporal workflows (efficientbert/search/driver.ts), run in
 * one process with direct calls: the reference for "same seed, same answer" and the baseline of
 * bench/orchestration. Trainings still run in child processes through the activity code. The spec
 * is held to the same rules as at the gateway (efficientbert/search/spec.ts); callers fill its
 * defaults with resolveSearchSpec, as the gateway does when it decodes a request.
 */
import type { ArtifactStore } from '../efficientbert/artifacts';
import {
  type CandidateResult,
  type CandidateSampler,
  type CandidateSpec,
  runSearch,
  runStage,
  type SearchExecutor,
  type SearchOutcome,
  type SearchSpec,
  samplerFor,
  validateSearchSpec,
} from '../efficientbert/search';
import { createActivities, type TrainerName } from './activities';
import { failedResult, trainInput } from './definitions';

export interface InProcessOptions {
  readonly store: ArtifactStore;
  readonly trainer: TrainerName;
  readonly sampler?: CandidateSampler;
}

export async function runSearchInProcess(
  searchId: string,
  spec: SearchSpec,
  opts: InProcessOptions,
): Promise<SearchOutcome> {
  const problems = validateSearchSpec(spec);
  if (problems.length)
    throw new RangeError(`invalid search spec: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`);
  const { trainCandidate } = createActivities({ store: opts.store, trainer: opts.trainer });
  const sampler = opts.sampler ?? samplerFor(spec);
  const train = async (c: CandidateSpec, under: SearchSpec): Promise<CandidateResult> => {
    try {
      return await trainCandidate(trainInput(under, c));
    } catch (err) {
      return failedResult(c, err);
    }
  };
  const executor = (stageSpec: SearchSpec): SearchExecutor => ({
    async evaluate(candidates) {
      const results: CandidateResult[] = new Array(candidates.length);
      let next = 0;
      const lane = async () => {
        while (next < candidates.length) {
          const i = next++;
          results[i] = await train(candidates[i]!, stageSpec);
        }
      };
      await Promise.all(Array.from({ length: Math.min(spec.parallelism, candidates.length) }, lane));
      return results;
    },
    beforeBatch: async () => 'continue',
    afterBatch: async () => undefined,
  });
  return runSearch(searchId, spec, {
    shouldContinue: () => true,
    runStage: (input) =>
      runStage(searchId, input.spec, input.plan, input.state, sampler, executor(input.spec)),
    train,
  });
}
