import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { estimateEtaMs } from '../../../efficientbert/search';

const MIN = 60_000;

describe('estimateEtaMs', () => {
  // The quickstart's shape: 18 evaluations planned, a 9-minute warm-up, then 20-second candidates.
  const base = { startedAtMs: 0, warmupPlanned: true, planned: 18 };

  it('gives no estimate while the warm-up runs, nor before an evaluation after it', () => {
    assert.equal(
      estimateEtaMs({ ...base, nowMs: 5 * MIN, warmupDoneAtMs: undefined, evaluated: 0 }),
      undefined,
    );
    assert.equal(
      estimateEtaMs({ ...base, nowMs: 9.2 * MIN, warmupDoneAtMs: 9 * MIN, evaluated: 1 }),
      undefined,
    );
  });

  it('paces the rest by the evaluations after the warm-up, not by the warm-up', () => {
    // Two candidates in the 40 s after the warm-up: 15 to go at 20 s each.
    const eta = estimateEtaMs({ ...base, nowMs: 9 * MIN + 40_000, warmupDoneAtMs: 9 * MIN, evaluated: 3 });
    assert.equal(eta, 15 * 20_000);
    // What counting the warm-up as one evaluation among the rest gave: over an hour.
    assert.ok(((9 * MIN + 40_000) / 3) * 15 > 45 * MIN);
  });

  it('paces from the start when the spec brings its supernet (no warm-up)', () => {
    const eta = estimateEtaMs({
      startedAtMs: 1000,
      nowMs: 1000 + 60_000,
      warmupPlanned: false,
      warmupDoneAtMs: undefined,
      evaluated: 3,
      planned: 17,
    });
    assert.equal(eta, 14 * 20_000);
  });

  it('never goes below zero once everything planned is evaluated', () => {
    assert.equal(estimateEtaMs({ ...base, nowMs: 12 * MIN, warmupDoneAtMs: 9 * MIN, evaluated: 18 }), 0);
  });
});
