/**
 * Smoke test of bench/serve.ts on the tiny fixture (no export, about 10 s): the bench runs end to
 * end (models in process, servers as child processes, gRPC latency, the overhead over the floor
 * across several processes, throughput) and prints one
 * JSON object with every claim in it. No timing is asserted: the numbers of a tiny model on a
 * shared machine mean nothing; the full bench is run by hand.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = join(__dirname, '..', '..', '..');

describe('bench/serve.ts --quick --tiny', () => {
  it('measures every claim and prints one JSON object', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/serve.ts', '--quick', '--tiny'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(run.status, 0, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.mode, 'tiny');
    const { claims } = result;
    for (const value of [
      claims.efficientbertVsBertBase.speedupP50,
      claims.int8VsFp32.speedupP50,
      claims.grpcOverheadP50.classify,
      claims.grpcOverheadP50.modelInfer,
      // grpcio comes with tritonclient[grpc] (requirements-dev.txt, installed by npm run setup).
      claims.grpcOverheadP50.classifyGrpcioClient,
      claims.grpcOverheadP50.transportFloor.grpcJsClient,
      claims.grpcOverheadP50.transportFloor.grpcioClient,
      claims.overVsFloorMs.value,
      claims.overVsFloorMs.oneInstance.value,
      claims.throughputVsFloor32.value,
    ]) {
      assert.equal(typeof value, 'number');
      assert.ok(Number.isFinite(value));
    }
    assert.deepEqual(Object.keys(result.models).sort(), ['bertBase', 'efficientbert', 'efficientbertInt8']);
    for (const path of [
      'inProcess',
      'current:classify',
      'current:modelInfer',
      'current:classify:grpcio',
      'floor:grpcJsTransport',
      'floor:grpcioTransport',
    ]) {
      assert.ok(result.grpcLatency[path].n > 0, path);
      assert.ok(result.grpcLatency[path].p50Ms > 0, path);
    }
    // Over two processes of each server: every process answered, and the pooled p50 lies within theirs.
    const { perProcessP50Ms } = claims.overVsFloorMs;
    for (const kind of ['floor', 'current', 'oneInstance']) {
      assert.equal(perProcessP50Ms[kind].length, 2, kind);
      for (const p50 of perProcessP50Ms[kind]) assert.ok(p50 > 0, kind);
    }
    assert.ok(claims.overVsFloorMs.floorP50Ms >= Math.min(...perProcessP50Ms.floor));
    assert.ok(claims.overVsFloorMs.floorP50Ms <= Math.max(...perProcessP50Ms.floor));
    for (const claim of [claims.overVsFloorMs, claims.throughputVsFloor32]) {
      assert.equal(typeof claim.target, 'number');
      assert.equal(typeof claim.met, 'boolean');
    }
    for (const server of ['current', 'current/batching-off', 'floor']) {
      for (const concurrency of ['1', '8', '32']) {
        assert.ok(result.throughputRps[server][concurrency].rps > 0, `${server} x${concurrency}`);
      }
    }
  });
});
