/** validateReportData: accepts the fixture, and every error names the offending field. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ReportDataError, validateReportData } from '../../../services/report/report-data';

const FIXTURE = path.join(__dirname, '../../fixtures/report/search-results.json');

/** A fresh deep copy of the fixture, to break one field at a time. */
// biome-ignore lint/suspicious/noExplicitAny: the tests write wrongly typed values on purpose.
function fixture(): Record<string, any> {
  return JSON.parse(fs.readFileSync(FIXTURE, 'utf8'));
}

function rejects(data: unknown, field: string, reason: RegExp): void {
  assert.throws(
    () => validateReportData(data),
    (err: unknown) => {
      assert.ok(err instanceof ReportDataError, `not a ReportDataError: ${String(err)}`);
      assert.equal(err.field, field);
      assert.match(err.message, reason);
      assert.ok(err.message.startsWith(`${field}: `), err.message);
      return true;
    },
  );
}

describe('validateReportData', () => {
  it('accepts the fixture as it is', () => {
    const data = validateReportData(fixture());
    assert.equal(data.stages.length, 3);
    assert.equal(data.preset.config.hidden, 540);
  });

  it('names a missing or mistyped field by its path', () => {
    const d1 = fixture();
    delete d1.stages[1].candidates[3].reward;
    rejects(d1, 'stages[1].candidates[3].reward', /finite number, got nothing \(the field is missing\)/);
    const d2 = fixture();
    d2.stages[0].candidates[0].parameters = 1.5;
    rejects(d2, 'stages[0].candidates[0].parameters', /positive integer/);
    const d3 = fixture();
    d3.preset.config.hidden = '540';
    rejects(d3, 'preset.config.hidden', /finite number, got '540'/);
    const d4 = fixture();
    d4.winner.metrics['sst2.accuracy'] = null;
    rejects(d4, 'winner.metrics.sst2.accuracy', /finite number, got null/);
    rejects([], 'report', /expected an object, got an array/);
  });

  it('explains an architecture that does not parse or has the wrong depth', () => {
    const d1 = fixture();
    d1.stages[2].candidates[5].architecture = 'linear1_1(gelu(linear1_1(x,wb1)),wb2), foo(x)';
    rejects(d1, 'stages[2].candidates[5].architecture', /layer 2: unknown name 'foo'/);
    const d2 = fixture();
    d2.winner.architecture = 'linear1_1(gelu(linear1_1(x,wb1)),wb2)';
    rejects(d2, 'winner.architecture', /1 layers, but the preset has 6/);
  });

  it('rejects latencies below zero but takes null', () => {
    const d1 = fixture();
    d1.stages[0].candidates[1].latencyMs = null;
    assert.equal(validateReportData(d1).stages[0]!.candidates[1]!.latencyMs, null);
    d1.stages[0].candidates[1].latencyMs = -3;
    rejects(d1, 'stages[0].candidates[1].latencyMs', /latency ≥ 0/);
  });

  it("takes an optional note on what the winner's latency measures, a non-empty string", () => {
    const d1 = fixture();
    assert.equal(validateReportData(d1).winner.latencyNote, undefined);
    d1.winner.latencyNote = 'served Classify p50 of 30 calls, batch 1, 128 tokens';
    assert.equal(validateReportData(d1).winner.latencyNote, d1.winner.latencyNote);
    d1.winner.latencyNote = '';
    rejects(d1, 'winner.latencyNote', /non-empty string/);
  });

  it('checks consistency: stage names, unique ids, time order', () => {
    const d1 = fixture();
    d1.stages[1].candidates[0].stage = 'stage1';
    rejects(d1, 'stages[1].candidates[0].stage', /'stage1' inside stage 'stage2'/);
    const d2 = fixture();
    d2.stages[2].candidates[4].id = d2.stages[0].candidates[7].id;
    rejects(d2, 'stages[2].candidates[4].id', /also the id of stages\[0\]\.candidates\[7\]/);
    const d3 = fixture();
    d3.finishedAt = '2026-11-19T00:00:00Z';
    rejects(d3, 'finishedAt', /before startedAt/);
    const d4 = fixture();
    d4.startedAt = 'yesterday';
    rejects(d4, 'startedAt', /not an ISO 8601 time/);
    const d5 = fixture();
    d5.stages = [];
    rejects(d5, 'stages', /no stages/);
  });
});
