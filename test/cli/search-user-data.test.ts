/**
 * `efficientbert search start --train FILE --dev FILE`, as a user runs it, against a real Search
 * gateway (no Temporal behind it): the CLI uploads both files into the gateway's artifact store,
 * and a malformed file comes back as the gateway's refusal naming the field, file and line.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DirArtifactStore, refOf } from '../../efficientbert/artifacts';
import { type RunningSearchServer, startSearchServer } from '../../services/search/server';
import { runCli } from './cli-process';

const TRAIN = 'utterance,topic\nplay ball,sports\nbake bread,cooking\nrain today,weather\n';
const DEV = 'utterance,topic\nsunny later,weather\n';

describe('efficientbert search start --train --dev', { timeout: 120_000 }, () => {
  let root: string;
  let store: DirArtifactStore;
  let api: RunningSearchServer;
  let env: Record<string, string>;
  let train: string;
  let dev: string;

  before(async () => {
    root = await fs.mkdtemp(path.join(tmpdir(), 'eb-cli-data-'));
    store = new DirArtifactStore(path.join(root, 'artifacts'));
    api = await startSearchServer({ temporalAddress: '127.0.0.1:1', connectTimeoutMs: 300, store });
    env = { EFFICIENTBERT_SEARCH_ADDRESS: `127.0.0.1:${api.port}` };
    train = path.join(root, 'train.csv');
    dev = path.join(root, 'dev.csv');
    await fs.writeFile(train, TRAIN);
    await fs.writeFile(dev, DEV);
  });

  after(async () => {
    await api?.close();
    await fs.rm(root, { recursive: true, force: true });
  });

  it('uploads both files and reports a column the file lacks with field, file and line', async () => {
    const r = await runCli(
      ['search', 'start', '--train', train, '--dev', dev, '--text-column', 'utterance'],
      {
        env,
      },
    );
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /INVALID_ARGUMENT: invalid spec\.data\.label_column: .*train\.csv:1: header has no "label" column/,
    );
    assert.ok(await store.has(refOf(Buffer.from(TRAIN))), 'train.csv is in the store');
    assert.ok(await store.has(refOf(Buffer.from(DEV))), 'dev.csv is in the store');
  });

  it('passes a good dataset on to the search service (Temporal, absent here, is the next stop)', async () => {
    const r = await runCli(
      [
        'search',
        'start',
        '--train',
        train,
        '--dev',
        dev,
        '--text-column',
        'utterance',
        '--label-column',
        'topic',
      ],
      { env },
    );
    // Exit 3, unavailable: the gateway accepted the dataset and could not reach Temporal.
    assert.equal(r.code, 3, r.stderr);
    assert.doesNotMatch(r.stderr, /INVALID_ARGUMENT|NOT_FOUND/);
  });

  it('sends --labels as the output order and reports a data label it lacks', async () => {
    const flags = ['search', 'start', '--train', train, '--dev', dev, '--text-column', 'utterance'];
    const missing = await runCli([...flags, '--label-column', 'topic', '--labels', 'weather,sports'], {
      env,
    });
    assert.equal(missing.code, 1, missing.stderr);
    assert.match(
      missing.stderr,
      /INVALID_ARGUMENT: invalid spec\.data\.train: .*train\.csv:3: label "cooking" is not in the search's labels \(weather, sports\)/,
    );
    const all = await runCli([...flags, '--label-column', 'topic', '--labels', 'weather, sports,cooking'], {
      env,
    });
    assert.equal(all.code, 3, all.stderr);
  });

  it('refuses --train without --dev and a file of unknown format before uploading', async () => {
    assert.equal((await runCli(['search', 'start', '--train', train], { env })).code, 2);
    const r = await runCli(['search', 'start', '--train', train, '--dev', path.join(root, 'dev.xlsx')], {
      env,
    });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot tell the format/);
  });
});
