/**
 * WatchSearch: polls the gateway and writes a message whenever the search's visible progress
 * changes, and a final one when the workflow ends. A Temporal outage after the stream opened is
 * ridden out for a minute (a restart); before the first message it fails the call at once.
 */
import * as grpc from '@grpc/grpc-js';
import { progressToPb, statusToPb } from './convert';
import { type SearchGateway, type SearchView, toSearchStatus } from './gateway';

interface WatchRequest {
  search_id: string;
  interval_ms: number;
}

function progressKey(v: SearchView): string {
  const p = v.progress;
  return JSON.stringify([
    v.status,
    p?.stage,
    p?.evaluated,
    p?.best?.id,
    p?.parallelism,
    p?.leaderboard.map((c) => c.id),
  ]);
}

export function watchSearch(gateway: SearchGateway): grpc.handleServerStreamingCall<WatchRequest, unknown> {
  return (call) => {
    const interval = Math.max(100, call.request.interval_ms || 500);
    let closed = false;
    call.on('cancelled', () => {
      closed = true;
    });
    let sequence = 0;
    let lastKey = '';
    let unavailableSince: number | undefined;
    (async () => {
      while (!closed) {
        let view: SearchView;
        try {
          view = await gateway.get(call.request.search_id);
          unavailableSince = undefined;
        } catch (err) {
          const status = toSearchStatus(err);
          // Ride out a Temporal restart for a while once the stream is open; fail fast before.
          if (status.code === grpc.status.UNAVAILABLE && sequence > 0) {
            unavailableSince ??= Date.now();
            if (Date.now() - unavailableSince < 60_000) {
              await new Promise((r) => setTimeout(r, interval));
              continue;
            }
          }
          call.destroy(Object.assign(new Error(status.details), status));
          return;
        }
        const final = view.workflowStatus !== 'RUNNING';
        const key = progressKey(view);
        if (key !== lastKey || final) {
          lastKey = key;
          call.write({
            search_id: view.searchId,
            status: statusToPb(view.status),
            progress: view.progress ? progressToPb(view.progress) : null,
            final,
            sequence: sequence++,
          });
        }
        if (final) {
          call.end();
          return;
        }
        await new Promise((r) => setTimeout(r, interval));
      }
    })();
  };
}
