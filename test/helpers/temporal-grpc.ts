/** A promise-based client of efficientbert.v1.Search for tests. */
import type * as grpc from '@grpc/grpc-js';
import { searchClient } from '../../services/search/protos';

// biome-ignore lint/suspicious/noExplicitAny: proto-loader messages are untyped; tests read fields freely
export type Reply = Record<string, any>;
type Dynamic = Record<string, (...args: unknown[]) => unknown>;

export class SearchTestClient {
  readonly raw: grpc.Client;
  constructor(address: string) {
    this.raw = searchClient(address);
  }

  call(method: string, request: Reply, deadlineMs = 20_000): Promise<Reply> {
    return new Promise((resolve, reject) => {
      (this.raw as unknown as Dynamic)[method]!(
        request,
        { deadline: Date.now() + deadlineMs },
        (err: grpc.ServiceError | null, res: Reply) => (err ? reject(err) : resolve(res)),
      );
    });
  }

  watch(searchId: string, intervalMs = 200): Promise<Reply[]> {
    return new Promise((resolve, reject) => {
      const events: Reply[] = [];
      const stream = (this.raw as unknown as Dynamic).WatchSearch!({
        search_id: searchId,
        interval_ms: intervalMs,
      }) as NodeJS.EventEmitter;
      stream.on('data', (e: Reply) => events.push(e));
      stream.on('error', reject);
      stream.on('end', () => resolve(events));
    });
  }

  close(): void {
    this.raw.close();
  }
}

export function grpcPbSpec(overrides: Reply = {}): Reply {
  return {
    preset: 'tiny',
    tasks: ['sst2'],
    seed: 20211,
    parallelism: 2,
    batch_size: 2,
    stages: { stage1_candidates: 8, stage2_candidates: 4, stage3_candidates: 4 },
    budget: { steps: 10, final_steps: 12, checkpoint_every: 3, fake_step_millis: 80 },
    top_k: 5,
    ...overrides,
  };
}
