/**
 * Follows a search until it ends: a live frame redrawn in place on a terminal, one line per event
 * otherwise (one JSON object per line with --json). Resolves with the final status.
 */
import { EXIT, UsageError } from '../command';
import { callError, type Message, type RpcClient } from '../rpc';
import { ANSI, frame, plainLine, statusName } from './watch-view';

export interface WatchOptions {
  readonly out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly json: boolean;
  readonly intervalMs?: number;
}

export async function watchSearch(rpc: RpcClient, searchId: string, opts: WatchOptions): Promise<string> {
  // GetSearch first: an unknown id fails here with NOT_FOUND, and the spec sizes the stage bars.
  const info = await rpc.unary('GetSearch', { search_id: searchId });
  const live = opts.out.isTTY === true && !opts.json;
  let drawn = 0;
  const restoreCursor = () => opts.out.write(ANSI.showCursor);
  const onInterrupt = () => {
    restoreCursor();
    process.exit(130);
  };
  if (live) {
    opts.out.write(ANSI.hideCursor);
    process.once('SIGINT', onInterrupt);
  }
  const render = (event: Message) => {
    if (opts.json) opts.out.write(`${JSON.stringify(event)}\n`);
    else if (!live) opts.out.write(`${plainLine(event)}\n`);
    else {
      // A pseudo-terminal without a size reports 0 columns.
      const lines = frame(event, info.spec, opts.out.columns || 100);
      opts.out.write(`${ANSI.rewind(drawn)}${lines.join('\n')}\n`);
      drawn = lines.length;
    }
  };
  try {
    return await new Promise<string>((resolve, reject) => {
      let last: Message | undefined;
      const stream = rpc.stream('WatchSearch', { search_id: searchId, interval_ms: opts.intervalMs ?? 500 });
      stream.on('data', (event: Message) => {
        last = event;
        render(event);
      });
      stream.on('error', (err) => reject(callError(err, rpc.target)));
      stream.on('end', () => {
        if (last?.final) resolve(statusName(last.status));
        else
          reject(
            new UsageError(
              `the search service closed the stream before ${searchId} ended: run \`efficientbert search watch ${searchId}\` again`,
              EXIT.unavailable,
            ),
          );
      });
    });
  } finally {
    if (live) {
      process.removeListener('SIGINT', onInterrupt);
      restoreCursor();
    }
  }
}

/** COMPLETED → 0; FAILED or CANCELLED → 1. */
export function exitCodeOfFinalStatus(status: string): number {
  return status === 'COMPLETED' ? EXIT.ok : EXIT.failure;
}
