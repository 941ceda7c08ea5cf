import assert from 'node:assert/strict';
import { test } from 'node:test';
import { format, inspect } from 'node:util';
import { Secret } from '../../../services/grpc/secret';

test('a Secret prints as a placeholder everywhere but reveal()', () => {
  const config = { auth: { readWrite: new Secret('s3cr3t-token') } };
  for (const text of [
    JSON.stringify(config),
    inspect(config, { depth: 5 }),
    format('%o %s %j', config, config.auth.readWrite, config),
    `${config.auth.readWrite}`,
  ])
    assert.ok(!text.includes('s3cr3t-token') && text.includes('[redacted]'), text);
  assert.equal(config.auth.readWrite.reveal(), 's3cr3t-token');
});
