/**
 * The throughput claims of bench/serve: Classify requests/s with 1, 8 and 32 concurrent clients,
 * each server variant (dynamic batching on and off, a baseline checkout) and the transport floor in
 * alternation. Every target gets the same encoded request bytes through a bytes-in, bytes-out
 * grpc-js client, so the client's share of the machine's two cores is the same for all of them.
 */
import type * as grpc from '@grpc/grpc-js';
import type { FloorServer } from '../lib/servers/floor';
import { ONE_INSTANCE, type RunningServer, unaryBytes } from '../lib/servers/inference';
import { percentile, ratio, round3, timed } from '../lib/stats';
import { CLASSIFY_PATH } from './workload';

export interface ThroughputPlan {
  concurrency: readonly number[];
  /** Seconds of load per server and concurrency, cut into `slices`. */
  loadSeconds: number;
  slices: number;
}

export type Throughput = Record<string, Record<string, { rps: number; p50Ms: number; p99Ms: number }>>;

/** One thing loaded: a name in the JSON and one Classify call. */
interface Target {
  name: string;
  call(): Promise<unknown>;
}

/** The name of the transport floor's cells. */
export const FLOOR = 'floor';

/** The servers, then the floor, each sent the encoded Classify request `bytes`. */
export function throughputTargets(
  servers: readonly RunningServer[],
  floor: FloorServer,
  bytes: Buffer,
): Target[] {
  const viaBytes = (client: grpc.Client) => () => unaryBytes(client, CLASSIFY_PATH, bytes);
  return [
    ...servers.map((s) => ({ name: s.spec.name, call: viaBytes(s.classify) })),
    { name: FLOOR, call: () => floor.call(bytes) },
  ];
}

/**
 * Closed loop: each client sends its next request when the last one is answered. Each cell is cut
 * into slices taken in turn across the targets (so load from other processes spreads over every
 * variant); only requests answered inside a slice's window count, and the requests still running at
 * its end are drained before the next target's slice.
 */
export async function measureThroughput(
  targets: readonly Target[],
  plan: ThroughputPlan,
): Promise<Throughput> {
  const sliceSeconds = plan.loadSeconds / plan.slices;
  const throughput: Throughput = {};
  for (const t of targets) throughput[t.name] = {};
  for (const concurrency of plan.concurrency) {
    const cells = new Map(targets.map((t) => [t, { answered: 0, seconds: 0, samples: [] as number[] }]));
    for (let slice = 0; slice < plan.slices; slice++) {
      for (const t of targets) {
        const cell = cells.get(t)!;
        const until = performance.now() + sliceSeconds * 1000;
        const client = async () => {
          while (performance.now() < until) {
            const ms = await timed(t.call);
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
    for (const [t, cell] of cells) {
      throughput[t.name]![String(concurrency)] = {
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

const THROUGHPUT_VS_FLOOR_TARGET = 0.9;

/** Our throughput over the transport floor's at 32 concurrent clients (target >= 0.9). */
export function throughputVsFloorClaim(throughput: Throughput) {
  const floor = rps(throughput, FLOOR, 32);
  const against = (server: string) => {
    const ours = rps(throughput, server, 32);
    const value = ours === null || floor === null ? null : ratio(ours, floor);
    return { value, rps: ours, met: value !== null && value >= THROUGHPUT_VS_FLOOR_TARGET };
  };
  const current = against('current');
  // The one-instance server too: overVsFloorMs has it, and both targets hold or not per server.
  const oneInstance = against(ONE_INSTANCE);
  return {
    value: current.value,
    currentRps: current.rps,
    floorRps: floor,
    target: THROUGHPUT_VS_FLOOR_TARGET,
    met: current.met,
    oneInstance: { value: oneInstance.value, rps: oneInstance.rps, met: oneInstance.met },
  };
}
