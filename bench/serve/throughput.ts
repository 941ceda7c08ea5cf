/**
 * The batching claim of bench/serve: Classify requests/s with 1, 8 and 32 concurrent clients, each
 * server variant (dynamic batching on and off, a baseline checkout) in alternation.
 */
import { call, type RunningServer } from '../lib/servers/inference';
import { percentile, ratio, round3, timed } from '../lib/stats';

export interface ThroughputPlan {
  concurrency: readonly number[];
  /** Seconds of load per server and concurrency, cut into `slices`. */
  loadSeconds: number;
  slices: number;
}

export type Throughput = Record<string, Record<string, { rps: number; p50Ms: number; p99Ms: number }>>;

/**
 * Closed loop: each client sends its next request when the last one is answered. Each cell is cut
 * into slices taken in turn across the servers (so load from other processes spreads over every
 * variant); only requests answered inside a slice's window count, and the requests still running at
 * its end are drained before the next server's slice.
 */
export async function measureThroughput(
  servers: readonly RunningServer[],
  request: unknown,
  plan: ThroughputPlan,
): Promise<Throughput> {
  const sliceSeconds = plan.loadSeconds / plan.slices;
  const throughput: Throughput = {};
  for (const s of servers) throughput[s.spec.name] = {};
  for (const concurrency of plan.concurrency) {
    const cells = new Map(servers.map((s) => [s, { answered: 0, seconds: 0, samples: [] as number[] }]));
    for (let slice = 0; slice < plan.slices; slice++) {
      for (const s of servers) {
        const cell = cells.get(s)!;
        const until = performance.now() + sliceSeconds * 1000;
        const client = async () => {
          while (performance.now() < until) {
            const ms = await timed(() => call(s.classify, 'Classify', request));
            if (performance.now() <= until) {
              cell.answered++;
              cell.samples.push(ms);
            }
          }
        };
        await Promise.all(Array.from({ length: concurrency }, client));
        cell.seconds += sliceSeconds;
      }
    }
    for (const [s, cell] of cells) {
      throughput[s.spec.name]![String(concurrency)] = {
        rps: Number((cell.answered / cell.seconds).toFixed(2)),
        p50Ms: round3(percentile(cell.samples, 0.5)),
        p99Ms: round3(percentile(cell.samples, 0.99)),
      };
    }
  }
  return throughput;
}

/** Requests/s of one server at one concurrency; null when that server was not measured. */
export const rps = (throughput: Throughput, server: string, concurrency: number) =>
  throughput[server]?.[String(concurrency)]?.rps ?? null;

/** Throughput with dynamic batching over without it, per concurrency. */
export function batchingClaim(throughput: Throughput, concurrency: readonly number[]) {
  return Object.fromEntries(
    concurrency.map((c) => [
      String(c),
      ratio(rps(throughput, 'current', c) ?? 0, rps(throughput, 'current/batching-off', c) ?? Number.NaN),
    ]),
  );
}
