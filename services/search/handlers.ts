/** gRPC efficientbert.v1.Search: each RPC a thin adapter from wire messages to the gateway. */
import type * as grpc from '@grpc/grpc-js';
import type { SearchStatus } from '../../workflows/definitions';
import { STAGE_ATTR, STATUS_ATTR } from '../../workflows/definitions';
import { candidatePage } from './candidate-pages';
import {
  candidateToPb,
  type PbSearchSpec,
  progressToPb,
  rankingCheckToPb,
  specToPb,
  statusFromPb,
  statusToPb,
} from './convert';
import { type SearchGateway, type SearchView, toSearchStatus } from './gateway';
import { watchSearch } from './watch';

export function infoToPb(v: SearchView) {
  const p = v.progress;
  return {
    search_id: v.searchId,
    status: statusToPb(v.status),
    progress: p ? progressToPb(p) : null,
    spec: v.spec ? specToPb(v.spec) : null,
    winner: candidateToPb(p?.winner),
    final: candidateToPb(p?.final),
    baseline: candidateToPb(p?.baseline),
    ranking_check: rankingCheckToPb(p?.rankingCheck),
    outcome_ref: p?.outcomeRef ?? '',
    error: p?.error ?? '',
    workflow_status: v.workflowStatus,
    request_id: v.requestId ?? '',
    models: [...(p?.models ?? [])],
  };
}

/** Every field any Search request has (proto-loader fills defaults, so all are present). */
export interface Req {
  search_id: string;
  request_id: string;
  spec: PbSearchSpec | null;
  reason: string;
  parallelism: number;
  top_k: number;
  status: string;
  stage: string;
  page_size: number;
  page_token: string;
  interval_ms: number;
}

type Unary = (call: grpc.ServerUnaryCall<Req, unknown>, cb: grpc.sendUnaryData<unknown>) => void;

function unary(fn: (req: Req) => Promise<unknown>): Unary {
  return (call, cb) => {
    fn(call.request).then(
      (res) => cb(null, res),
      (err) => cb(toSearchStatus(err)),
    );
  };
}

const TERMINAL: readonly SearchStatus[] = ['COMPLETED', 'CANCELLED', 'FAILED'];

export function searchHandlers(gateway: SearchGateway): grpc.UntypedServiceImplementation {
  return {
    StartSearch: unary(async (req) => {
      const { view, created } = await gateway.start(req.request_id, req.spec);
      return { search_id: view.searchId, created, search: infoToPb(view) };
    }),
    GetSearch: unary(async (req) => infoToPb(await gateway.get(req.search_id))),
    PauseSearch: unary(async (req) => infoToPb(await gateway.signal(req.search_id, 'pause'))),
    ResumeSearch: unary(async (req) => infoToPb(await gateway.signal(req.search_id, 'resume'))),
    CancelSearch: unary(async (req) => infoToPb(await gateway.signal(req.search_id, 'cancel', req.reason))),
    SetParallelism: unary(async (req) => {
      const previous = await gateway.setParallelism(req.search_id, req.parallelism);
      return { previous, parallelism: req.parallelism };
    }),
    GetLeaderboard: unary(async (req) => {
      const view = await gateway.get(req.search_id);
      const entries = view.progress?.leaderboard ?? [];
      const k = req.top_k ? Math.min(req.top_k, entries.length) : entries.length;
      return { search_id: view.searchId, entries: entries.slice(0, k).map(candidateToPb) };
    }),
    ListCandidates: unary(async (req) => {
      const page = candidatePage(await gateway.candidates(req.search_id), req.page_size, req.page_token);
      return {
        search_id: req.search_id,
        candidates: page.candidates.map(candidateToPb),
        next_page_token: page.nextPageToken,
        total: page.total,
      };
    }),
    ListSearches: unary(async (req) => {
      const wfs = await gateway.list(statusFromPb(req.status), req.stage, req.page_size);
      return {
        searches: wfs.map((wf) => {
          let status = wf.typedSearchAttributes.get(STATUS_ATTR) as SearchStatus | undefined;
          if (wf.status.name !== 'RUNNING' && (!status || !TERMINAL.includes(status))) {
            status =
              wf.status.name === 'CANCELLED'
                ? 'CANCELLED'
                : wf.status.name === 'COMPLETED'
                  ? 'COMPLETED'
                  : 'FAILED';
          }
          return {
            search_id: wf.workflowId,
            status: statusToPb(status),
            stage: wf.typedSearchAttributes.get(STAGE_ATTR) ?? '',
            start_time_ms: wf.startTime.getTime(),
            close_time_ms: wf.closeTime?.getTime() ?? 0,
            workflow_status: wf.status.name,
          };
        }),
      };
    }),
    WatchSearch: watchSearch(gateway),
  };
}
