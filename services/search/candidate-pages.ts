/**
 * ListCandidates paging: a page token is the offset of the page's first candidate, opaque to
 * clients (base64url of `candidates:<offset>`). Offsets stay valid while a search runs because
 * candidates are only ever appended in evaluation order (stage 1, then 2, then 3).
 */
import type { CandidateResult } from '../../efficientbert/search';
import { invalid } from '../grpc/errors';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
const PREFIX = 'candidates:';

export function pageToken(offset: number): string {
  return Buffer.from(`${PREFIX}${offset}`).toString('base64url');
}

/** The offset a token stands for; INVALID_ARGUMENT naming `page_token` for anything else. */
export function offsetOf(token: string, total: number): number {
  if (token === '') return 0;
  const text = Buffer.from(token, 'base64url').toString('utf8');
  const digits = text.startsWith(PREFIX) ? text.slice(PREFIX.length) : '';
  const offset = /^(0|[1-9][0-9]{0,9})$/.test(digits) ? Number(digits) : Number.NaN;
  if (!(offset <= total)) throw invalid('page_token', `'${token}' is not a token this search handed out`);
  return offset;
}

export interface CandidatePage {
  readonly candidates: readonly CandidateResult[];
  readonly nextPageToken: string;
  readonly total: number;
}

export function candidatePage(
  all: readonly CandidateResult[],
  pageSize: number,
  token: string,
): CandidatePage {
  const size = Math.min(pageSize || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  const offset = offsetOf(token, all.length);
  const end = Math.min(offset + size, all.length);
  return {
    candidates: all.slice(offset, end),
    nextPageToken: end < all.length ? pageToken(end) : '',
    total: all.length,
  };
}
