/**
 * The served winner's latency, as a user of the inference service sees it: the p50 wall time of
 * `runs` sequential efficientbert.v1.Inference Classify calls from the CLI, each one text (batch 1)
 * long enough to fill the model's max_seq_length (GetModel) with truncation TRUNCATE, so every call
 * feeds exactly max_seq_length tokens, special tokens included. Three warm-up calls before them
 * (WARMUP_RUNS) are not timed. The time includes gRPC and tokenization in the server, not only the
 * model: it is what a client waits for, measured against whichever inference service the CLI is
 * configured for.
 */
import { performance } from 'node:perf_hooks';
import { median } from '../../../efficientbert/search/samplers/lanas/tree';
import { EXIT, UsageError } from '../command';
import type { Message, RpcClient } from '../rpc';

/** First calls pay for lazy set-up (channel, session arenas); they are not timed. */
const WARMUP_RUNS = 3;
const CALL_TIMEOUT_MS = 10_000;

/** Plain English prose; repeated until it has more words than the model has tokens. */
const PARAGRAPH =
  'The film opens on a quiet harbour town where the fishing boats have not left the docks in ' +
  'weeks, and the people who stayed behind spend their evenings arguing about the weather, the ' +
  'price of fuel and whether the old lighthouse should be sold to the hotel company from the city.';

export interface ServedLatency {
  readonly model: string;
  readonly p50Ms: number;
  /** Tokens each timed call fed the model (the server's token_count). */
  readonly tokens: number;
  readonly runs: number;
}

/**
 * The served model of the search's (GetSearch's) first task, named `<searchId>-<task>`; undefined
 * when the search registered none (it has not ended, or its final training failed).
 */
export function winnerModel(info: Message): string | undefined {
  const models: string[] = info.models ?? [];
  const task: string | undefined = info.spec?.tasks?.[0];
  // The final training may cover other tasks than the first searched one: then any of its models.
  return models.find((m) => m.endsWith(`-${task}`)) ?? models[0];
}

/** A text with at least `tokens` words: every word is one token or more, so it fills the model. */
function textOfAtLeast(tokens: number): string {
  const words = PARAGRAPH.split(' ').length;
  return Array.from({ length: Math.ceil(tokens / words) + 1 }, () => PARAGRAPH).join(' ');
}

/**
 * Measures `model` (`runs` ≥ 1). Fails with the RpcClient's UsageError when the service is
 * unreachable or refuses a call, and with a UsageError of its own when the model is not READY.
 */
export async function measureServedLatency(
  rpc: RpcClient,
  model: string,
  runs: number,
): Promise<ServedLatency> {
  const info = await rpc.unary('GetModel', { name: model, version: '' }, CALL_TIMEOUT_MS);
  if (info.state !== 'READY')
    throw new UsageError(
      `model ${model} is ${info.state}${info.reason ? ` (${info.reason})` : ''}: ` +
        'measure again when `efficientbert models list` shows it READY',
      EXIT.failure,
    );
  const request = {
    model_name: model,
    // Pinned, so a version loaded mid-measurement does not mix into the figure.
    model_version: info.version,
    inputs: [{ text: textOfAtLeast(Number(info.max_seq_length)) }],
    truncation: 'TRUNCATE',
  };
  const classify = () => rpc.unary('Classify', request, CALL_TIMEOUT_MS);
  // The first warm-up call also tells how many tokens every call feeds.
  const tokens = Number((await classify()).results[0].token_count);
  for (let i = 1; i < WARMUP_RUNS; i++) await classify();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await classify();
    times.push(performance.now() - start);
  }
  return { model, p50Ms: median(times), tokens, runs };
}

/** What the figure is, for the report's label: "served Classify p50 of 30 calls, batch 1, 128 tokens". */
export function latencyNote(latency: ServedLatency): string {
  return `served Classify p50 of ${latency.runs} calls, batch 1, ${latency.tokens} tokens`;
}
