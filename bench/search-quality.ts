/**
 * Claim (issue 10): the searched winner beats the hand-designed baseline, the plain GELU FFN at
 * equal or more parameters, through the identical final training; and the proxy reward ranks
 * candidates as their full training does.
 *
 * Runs one whole search in-process with the real trainer (the same driver and activities as the
 * Temporal workflows) on SST-2, which trains the winner and the baseline (the search's own
 * `baseline` step) and, with `verifyRanking`, the search's own rank check: the `--verify-ranking`
 * best distinct candidates of stages 1-2 through the baseline's final recipe, and Kendall's tau-b
 * between their proxy rewards and their final dev accuracies. Prints one JSON object:
 * {"winner":{"devMetric","params"},"baseline":{...},"kendallTau",...}.
 *
 *   node --import tsx bench/search-quality.ts [--preset small] [--seed 1] [--verify-ranking 5]
 *     [--parallelism 1] [--data DIR]
 */
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { DirArtifactStore } from '../efficientbert/artifacts';
import { isPresetName } from '../efficientbert/core/presets';
import { resolveSearchSpec, type SearchSpec } from '../efficientbert/search';
import { countParameters } from '../efficientbert/space/params';
import { parseArchitecture } from '../efficientbert/space/parse';
import { PRESETS } from '../efficientbert/space/presets';
import { runSearchInProcess } from '../workflows/in-process';
import { round3 } from './lib/stats';

const { values: args } = parseArgs({
  options: {
    preset: { type: 'string', default: 'small' },
    seed: { type: 'string', default: '1' },
    'verify-ranking': { type: 'string', default: '5' },
    parallelism: { type: 'string', default: '1' },
    data: { type: 'string', default: path.resolve(__dirname, '../../shared/data') },
  },
});

const TASK = 'sst2';
const METRIC = `${TASK}.accuracy`;

async function main(): Promise<void> {
  const preset = args.preset!;
  if (!isPresetName(preset)) throw new Error(`--preset: unknown preset '${preset}'`);
  const verify = Number(args['verify-ranking']);
  const root = await fs.mkdtemp(path.join(tmpdir(), 'eb-search-quality-'));
  const store = new DirArtifactStore(path.join(root, 'artifacts'));
  const spec: SearchSpec = resolveSearchSpec({
    preset,
    tasks: [TASK],
    seed: Number(args.seed),
    dataDir: args.data!,
    parallelism: Number(args.parallelism),
    verifyRanking: verify,
    // The final recipe trains SST-2 only: the winner and baseline are compared on it.
    method: { final: { tasks: [TASK] } },
  });
  const params = (arch: string) => countParameters(PRESETS[preset], parseArchitecture(arch));
  const log = (m: string) => process.stderr.write(`[search-quality] ${m}\n`);
  try {
    const started = Date.now();
    log(`search: preset ${preset}, seed ${spec.seed}, stages ${JSON.stringify(spec.stages)}`);
    const outcome = await runSearchInProcess('quality', spec, { store, trainer: 'kd' });
    const searchSeconds = (Date.now() - started) / 1000;
    const { final, baseline, winner } = outcome;
    if (final?.status !== 'ok' || !winner) throw new Error(`the search trained no winner: ${outcome.error}`);
    if (baseline?.status !== 'ok') throw new Error(`the baseline failed: ${baseline?.error}`);

    const check = outcome.rankingCheck;
    if (!check) throw new Error('the search ran no rank check');
    const failed = check.entries.find((e) => e.final.status !== 'ok');
    if (failed) throw new Error(`verifying ${failed.candidateId} failed: ${failed.final.error}`);
    const verified = check.entries.map((e) => ({
      id: e.candidateId,
      proxy: e.proxyReward,
      final: e.final.metrics![METRIC]!,
      params: params(e.arch),
    }));
    const winnerDev = final.metrics![METRIC]!;
    const baselineDev = baseline.metrics![METRIC]!;
    const result = {
      preset,
      seed: spec.seed,
      task: TASK,
      metric: METRIC,
      winner: { devMetric: round3(winnerDev), params: params(winner.arch), arch: winner.arch },
      baseline: { devMetric: round3(baselineDev), params: params(baseline.arch), arch: baseline.arch },
      winnerMinusBaseline: round3(winnerDev - baselineDev),
      claim: {
        target: 'winner beats the baseline at equal or fewer parameters',
        met: winnerDev > baselineDev && params(winner.arch) <= params(baseline.arch),
      },
      // The search's tau is over final rewards, which for the SST-2-only final recipe are METRIC.
      kendallTau: check.kendallTau === undefined ? null : round3(check.kendallTau),
      verified: verified.map((v) => ({ ...v, proxy: round3(v.proxy), final: round3(v.final) })),
      seconds: { search: Math.round(searchSeconds), total: Math.round((Date.now() - started) / 1000) },
    };
    console.log(JSON.stringify(result));
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
