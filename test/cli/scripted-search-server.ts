/**
 * An efficientbert.v1.Search server that plays back scripted progress events, so that `search
 * watch` and `search report` can be tested without running a search. Searches: `search-ok` and
 * `search-ok-2` end COMPLETED, `search-failed` ends FAILED; any other id is NOT_FOUND. GetSearch,
 * GetLeaderboard and ListCandidates answer with the search as it ended; a COMPLETED search lists its
 * served model `<id>-sst2` (two such searches, so that a test can serve one model and not the
 * other). `search-ok` ran a rank check; its candidates come two per page, and more of them than the
 * leaderboard holds (one failed).
 */
import * as grpc from '@grpc/grpc-js';
import { clientConstructor } from '../../services/grpc/protos';
import { loadSearchProtos, SEARCH_SERVICE } from '../../services/search/protos';

type Message = Record<string, unknown>;

const SPEC = {
  preset: 'tiny',
  tasks: ['sst2'],
  seed: 1,
  supernet_ref: '',
  stages: { stage1_candidates: 4, stage2_candidates: 2, stage3_candidates: 2 },
};

const ARCH = 'linear1_1(gelu(linear1_1(x,wb1)),wb2), linear1_1(gelu(linear1_1(x,wb1)),wb2)';

function candidate(id: string, reward: number, status = 'ok'): Message {
  return {
    id,
    stage: id.split('-')[0],
    index: Number(id.split('-')[1]),
    arch: ARCH,
    status,
    reward,
    error: '',
  };
}

/** Every candidate of the scripted searches: the leaderboard's two and those below it. */
const CANDIDATES = [
  candidate('stage1-0000', 0.74),
  candidate('stage1-0001', 0.52),
  candidate('stage1-0002', 0.81),
  { ...candidate('stage1-0003', 0, 'failed'), error: 'trainer exited with SIGKILL' },
  candidate('stage2-0000', 0.81),
];

const RANKING_CHECK = {
  entries: [
    {
      candidate_id: 'stage1-0002',
      arch: ARCH,
      proxy_reward: 0.81,
      final_reward: 0.86,
      status: 'ok',
      metrics: {},
    },
    {
      candidate_id: 'stage1-0000',
      arch: ARCH,
      proxy_reward: 0.74,
      final_reward: 0.88,
      status: 'ok',
      metrics: {},
    },
    {
      candidate_id: 'stage1-0001',
      arch: ARCH,
      proxy_reward: 0.52,
      final_reward: 0.7,
      status: 'ok',
      metrics: {},
    },
  ],
  kendall_tau: 1 / 3,
};
const CANDIDATES_PER_PAGE = 2;

function event(
  searchId: string,
  sequence: number,
  status: string,
  stage: string,
  done: number,
  of: number,
  final = false,
): Message {
  const leaderboard = [candidate('stage1-0002', 0.81), candidate('stage1-0000', 0.74)].slice(
    0,
    Math.min(2, sequence),
  );
  return {
    search_id: searchId,
    status: `SEARCH_STATUS_${status}`,
    final,
    sequence,
    progress: {
      stage,
      evaluated: 1 + sequence * 2,
      planned: 11,
      stage_evaluated: done,
      stage_planned: of,
      best: leaderboard[0] ?? null,
      leaderboard,
      parallelism: 1,
      started_at_ms: 1_700_000_000_000,
      elapsed_ms: 1000 * (sequence + 1),
      ...(final ? {} : { eta_ms: 4000 - 1000 * sequence }),
    },
  };
}

const ENDS: Readonly<Record<string, string>> = {
  'search-ok': 'COMPLETED',
  'search-ok-2': 'COMPLETED',
  'search-failed': 'FAILED',
};

function script(searchId: string): Message[] | undefined {
  const end = ENDS[searchId];
  if (!end) return undefined;
  return [
    event(searchId, 0, 'RUNNING', 'stage1', 1, 4),
    event(searchId, 1, 'RUNNING', 'stage1', 3, 4),
    event(searchId, 2, 'RUNNING', 'stage2', 1, 2),
    event(searchId, 3, end, 'done', 0, 0, true),
  ];
}

function notFound(searchId: string): Partial<grpc.StatusObject> {
  return { code: grpc.status.NOT_FOUND, details: `no search '${searchId}'` };
}

export async function startScriptedSearchServer(): Promise<{ address: string; close(): Promise<void> }> {
  const server = new grpc.Server();
  server.addService(clientConstructor(loadSearchProtos(), SEARCH_SERVICE).service, {
    GetSearch: (
      call: grpc.ServerUnaryCall<{ search_id: string }, unknown>,
      cb: grpc.sendUnaryData<unknown>,
    ) => {
      const events = script(call.request.search_id);
      if (!events) return cb(notFound(call.request.search_id) as grpc.ServiceError);
      const { search_id, status, progress } = events.at(-1)!;
      const models = status === 'SEARCH_STATUS_COMPLETED' ? [`${search_id}-${SPEC.tasks[0]}`] : [];
      const check = search_id === 'search-ok' ? { ranking_check: RANKING_CHECK } : {};
      cb(null, { search_id, status, progress, spec: SPEC, models, ...check });
    },
    ListCandidates: (
      call: grpc.ServerUnaryCall<{ search_id: string; page_token: string }, unknown>,
      cb: grpc.sendUnaryData<unknown>,
    ) => {
      const { search_id, page_token } = call.request;
      if (!script(search_id)) return cb(notFound(search_id) as grpc.ServiceError);
      const offset = Number(page_token || 0);
      const end = offset + CANDIDATES_PER_PAGE;
      cb(null, {
        search_id,
        candidates: CANDIDATES.slice(offset, end),
        next_page_token: end < CANDIDATES.length ? String(end) : '',
        total: CANDIDATES.length,
      });
    },
    GetLeaderboard: (
      call: grpc.ServerUnaryCall<{ search_id: string }, unknown>,
      cb: grpc.sendUnaryData<unknown>,
    ) => {
      const events = script(call.request.search_id);
      if (!events) return cb(notFound(call.request.search_id) as grpc.ServiceError);
      const { search_id, progress } = events.at(-1)!;
      cb(null, { search_id, entries: (progress as Message).leaderboard });
    },
    WatchSearch: (call: grpc.ServerWritableStream<{ search_id: string }, unknown>) => {
      const events = script(call.request.search_id);
      if (!events)
        return call.destroy(Object.assign(new Error('not found'), notFound(call.request.search_id)));
      let i = 0;
      const next = () => {
        if (i === events.length) return call.end();
        call.write(events[i++]);
        setTimeout(next, 100);
      };
      next();
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
