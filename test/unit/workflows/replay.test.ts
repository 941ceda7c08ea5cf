import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';

/**
 * Replays workflow histories recorded from real runs (test/helpers/temporal-record-histories.ts)
 * against today's workflow code: a non-deterministic change fails here, in CI, without a server.
 */
const DIR = path.join(__dirname, '..', '..', 'fixtures', 'histories');
const files = fs.existsSync(DIR)
  ? fs
      .readdirSync(DIR)
      .filter((f) => f.endsWith('.json'))
      .sort()
  : [];

describe('workflow replay of recorded histories', () => {
  let bundle: WorkflowBundleWithSourceMap;
  before(async () => {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    bundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('../../../workflows'),
      logger: new DefaultLogger('WARN'),
    });
  });

  it('has recorded histories to replay', () => {
    assert.ok(files.length >= 4, `expected histories in ${DIR}`);
    assert.ok(files.some((f) => f.includes('search')) && files.some((f) => f.includes('stage1-run1')));
    // The patched() branches are guarded only by histories that took them.
    assert.ok(files.includes('verify-search-run0.json'), 'no history of a search with verifyRanking');
  });

  it('has a history that took each patched() branch', () => {
    const patchesIn = (file: string): string[] => {
      const events = JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')).events as Array<{
        markerRecordedEventAttributes?: {
          markerName: string;
          details: Record<string, { payloads: Array<{ data: string }> }>;
        };
      }>;
      return events.flatMap((e) => {
        const marker = e.markerRecordedEventAttributes;
        if (marker?.markerName !== 'core_patch') return [];
        const data = marker.details['patch-data']!.payloads[0]!.data;
        return [(JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { id: string }).id];
      });
    };
    assert.deepEqual(patchesIn('verify-search-run0.json').sort(), ['train-baseline', 'verify-ranking']);
    assert.deepEqual(patchesIn('pre-baseline-search-run0.json'), []);
  });

  for (const file of files) {
    it(`replays ${file} deterministically`, async () => {
      const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')));
      await Worker.runReplayHistory({ workflowBundle: bundle }, history, file.replace(/\.json$/, ''));
    });
  }
});
