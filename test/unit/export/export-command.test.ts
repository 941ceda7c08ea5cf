import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, mock } from 'node:test';
import { UsageError } from '../../../services/cli/command';
import { exportCommand } from '../../../services/cli/commands/export';
import { validateModelConfig } from '../../../services/inference/repository/model-config';

/** Runs the command and returns its exit code and what it printed. */
async function run(argv: string[]): Promise<{ code: number; stdout: string }> {
  const lines: string[] = [];
  const log = mock.method(console, 'log', (line: string) => lines.push(line));
  try {
    return { code: await exportCommand.run(argv), stdout: lines.join('\n') };
  } finally {
    log.mock.restore();
  }
}

describe('efficientbert export', () => {
  const out = mkdtempSync(join(tmpdir(), 'eb-export-cli-'));
  after(() => rmSync(out, { recursive: true, force: true }));

  it('writes a random-init package and reports it as JSON', async () => {
    const argv = ['--preset', 'tiny', '--random-init', '--out', out, '--name', 'tiny', '--version', '2'];
    const { code, stdout } = await run([...argv, '--int8', '--fused', '--seed', '7', '--json']);
    assert.equal(code, 0);
    const result = JSON.parse(stdout);
    assert.equal(result.versionDir, join(out, 'tiny', '2'));
    assert.equal(result.int8, true);
    const config = validateModelConfig(
      JSON.parse(readFileSync(join(result.versionDir, 'model.json'), 'utf8')),
    );
    assert.deepEqual(config.labels, ['negative', 'positive']);
    // Seeded: the same seed writes the same bytes.
    const first = readFileSync(join(result.versionDir, 'model.onnx'));
    await run([...argv, '--int8', '--fused', '--seed', '7']);
    assert.ok(first.equals(readFileSync(join(result.versionDir, 'model.onnx'))));
  });

  it('exports a BERT from a Hugging Face config', async () => {
    const bertConfig = join(out, 'config.json');
    writeFileSync(
      bertConfig,
      JSON.stringify({
        vocab_size: 30522,
        hidden_size: 16,
        num_hidden_layers: 1,
        num_attention_heads: 2,
        intermediate_size: 32,
      }),
    );
    const { code } = await run([
      '--bert',
      bertConfig,
      '--random-init',
      '--out',
      out,
      '--name',
      'bert',
      '--regression',
    ]);
    assert.equal(code, 0);
    const config = validateModelConfig(
      JSON.parse(readFileSync(join(out, 'bert', '1', 'model.json'), 'utf8')),
    );
    assert.equal(config.task, 'regression');
  });

  it('rejects missing --out, no weight source and a wrong --arch', async () => {
    await assert.rejects(run(['--random-init']), UsageError);
    await assert.rejects(run(['--out', out]), /--random-init/);
    await assert.rejects(
      run(['--preset', 'tiny', '--random-init', '--out', out, '--arch', 'relu(x)']),
      UsageError,
    );
  });
});
