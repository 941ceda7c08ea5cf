#!/usr/bin/env node
/**
 * gRPC health probe for the container images (Docker HEALTHCHECK; Kubernetes uses its native
 * `grpc:` probes instead). Calls grpc.health.v1.Health/Check and exits 0 when the answer is SERVING.
 *
 *   node deploy/healthcheck.js [--address HOST:PORT] [--service NAME] [--timeout-ms N] [--any-status]
 *                              [--ca FILE [--server-name NAME] [--cert FILE --key FILE]]
 *
 * --address defaults to $HEALTHCHECK_ADDRESS, else 127.0.0.1:8001. --service '' (the default) asks
 * for the server as a whole. --any-status accepts any answer (a liveness check: the process is up
 * and speaks gRPC, whatever its dependencies say). Exit codes: 0 healthy, 1 unhealthy or
 * unreachable, 2 bad usage. With --ca (default $HEALTHCHECK_CA) the probe speaks TLS and trusts that
 * CA; --server-name (default $HEALTHCHECK_SERVER_NAME) is the name the server's certificate carries
 * when it is not the probed address (a container probing itself on 127.0.0.1); --cert/--key
 * ($HEALTHCHECK_CERT/$HEALTHCHECK_KEY) for a server that requires client certificates. Health needs
 * no bearer token. Plain JavaScript with @grpc/grpc-js only: no tsx start-up, no .proto
 * files, a few milliseconds of CPU per probe. The two messages are encoded by hand:
 * HealthCheckRequest { string service = 1 }, HealthCheckResponse { ServingStatus status = 1 }.
 */

const { readFileSync } = require('node:fs');
const { parseArgs } = require('node:util');
const grpc = require('@grpc/grpc-js');

const STATUS_NAMES = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

/** Protobuf encoding of HealthCheckRequest. */
function encodeRequest(service) {
  const bytes = Buffer.from(service, 'utf8');
  if (bytes.length === 0) return Buffer.alloc(0);
  const header = [0x0a];
  let n = bytes.length;
  while (n > 0x7f) {
    header.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  header.push(n);
  return Buffer.concat([Buffer.from(header), bytes]);
}

function readVarint(buf, pos) {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const byte = buf[pos++];
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, pos];
    shift += 7;
    if (shift > 63) throw new Error('varint too long');
  }
}

/** Protobuf decoding of HealthCheckResponse: returns the numeric status (0 when absent). */
function decodeResponse(buf) {
  let status = 0;
  let pos = 0;
  while (pos < buf.length) {
    let key;
    [key, pos] = readVarint(buf, pos);
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) {
      let v;
      [v, pos] = readVarint(buf, pos);
      if (field === 1) status = v;
    } else if (wire === 2) {
      let len;
      [len, pos] = readVarint(buf, pos);
      pos += len;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
  return status;
}

/** Plaintext without `tls`; else TLS with tls.ca (PEM Buffers), tls.cert/tls.key, tls.serverName. */
function credentials(tls) {
  if (!tls) return { creds: grpc.credentials.createInsecure(), options: {} };
  return {
    creds: grpc.credentials.createSsl(tls.ca, tls.key ?? null, tls.cert ?? null),
    options: tls.serverName ? { 'grpc.ssl_target_name_override': tls.serverName } : {},
  };
}

/** Resolves with the status name, or rejects with the gRPC error. */
function check(address, service, timeoutMs, tls) {
  const { creds, options } = credentials(tls);
  const client = new grpc.Client(address, creds, options);
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      (value) => value,
      (bytes) => bytes,
      encodeRequest(service),
      { deadline: Date.now() + timeoutMs },
      (err, bytes) => {
        client.close();
        if (err) reject(err);
        else resolve(STATUS_NAMES[decodeResponse(bytes)] ?? 'UNKNOWN');
      },
    );
  });
}

async function main(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        address: { type: 'string' },
        service: { type: 'string', default: '' },
        'timeout-ms': { type: 'string', default: '3000' },
        'any-status': { type: 'boolean', default: false },
        ca: { type: 'string' },
        'server-name': { type: 'string' },
        cert: { type: 'string' },
        key: { type: 'string' },
      },
      strict: true,
    }));
  } catch (err) {
    console.error(`healthcheck: ${err.message}`);
    return 2;
  }
  const address = values.address ?? process.env.HEALTHCHECK_ADDRESS ?? '127.0.0.1:8001';
  const timeoutMs = Number(values['timeout-ms']);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    console.error(`healthcheck: --timeout-ms must be a positive integer, got '${values['timeout-ms']}'`);
    return 2;
  }
  const ca = values.ca ?? process.env.HEALTHCHECK_CA;
  let tls;
  if (ca) {
    const cert = values.cert ?? process.env.HEALTHCHECK_CERT;
    const key = values.key ?? process.env.HEALTHCHECK_KEY;
    try {
      tls = {
        ca: readFileSync(ca),
        ...(cert && key ? { cert: readFileSync(cert), key: readFileSync(key) } : {}),
        serverName: values['server-name'] ?? process.env.HEALTHCHECK_SERVER_NAME,
      };
    } catch (err) {
      console.error(`healthcheck: cannot read a TLS file: ${err.message}`);
      return 2;
    }
  }
  try {
    const status = await check(address, values.service, timeoutMs, tls);
    const healthy = values['any-status'] || status === 'SERVING';
    (healthy ? console.log : console.error)(`healthcheck: ${address} '${values.service}' ${status}`);
    return healthy ? 0 : 1;
  } catch (err) {
    console.error(`healthcheck: ${address} '${values.service}' unreachable: ${err.details || err.message}`);
    return 1;
  }
}

module.exports = { encodeRequest, decodeResponse, check, main };

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
