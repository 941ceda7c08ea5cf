/**
 * deploy/k8s: every manifest validated against the Kubernetes OpenAPI schemas bundled in npm
 * `kubernetes-models` (offline; types, required fields, enums, formats), and our own checks:
 * the kustomization lists every file, references resolve (Services -> pods, named ports, PVCs,
 * ConfigMap, Secret, HPA target), gRPC probes ask the health service names the servers register,
 * ports agree with the ConfigMap and the services' code, the GPU worker asks one GPU per
 * training, images and UID match the Dockerfiles.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { parseS3Url, STORE_MODEL_REPOSITORY } from '../../efficientbert/artifacts';
import { parseConfig, USAGE } from '../../services/inference/config';
import { SERVICE_NAMES } from '../../services/inference/grpc/protos';
import { configFromEnv } from '../../services/worker/main';
import {
  DEPLOY,
  IMAGES,
  imageName,
  inferenceImageEnv,
  type K8sDoc,
  k8sFind,
  knownEnvNames,
  loadCompose,
  loadK8s,
  loadKustomization,
  searchDefaults,
  searchHealthServices,
  type Yaml,
} from './deploy-files';

// biome-ignore lint/suspicious/noExplicitAny: one constructor per kind, each validates its own type.
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

const docs = loadK8s();
const deployments = docs.filter((d) => d.doc.kind === 'Deployment').map((d) => d.doc);
const configMap = k8sFind(docs, 'ConfigMap', 'efficientbert-config');
const container = (name: string): Yaml => k8sFind(docs, 'Deployment', name).spec.template.spec.containers[0];
/** Environment of a container as Kubernetes builds it: envFrom ConfigMaps, then env values. */
function containerEnv(c: Yaml): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? [])
    if (from.configMapRef) Object.assign(env, k8sFind(docs, 'ConfigMap', from.configMapRef.name).data);
  for (const e of c.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
  return env;
}

test('the kustomization lists every manifest file, and only existing ones', () => {
  const kustomization = loadKustomization();
  const files = readdirSync(`${DEPLOY}/k8s`).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
  assert.deepEqual([...kustomization.resources].sort(), files.sort());
  assert.equal(kustomization.namespace, 'efficientbert');
  assert.deepEqual(kustomization.images.map((i: Yaml) => i.name).sort(), IMAGES.map((i) => i.image).sort());
});

test('every manifest validates against the Kubernetes schema of its apiVersion/kind', () => {
  assert.ok(docs.length >= 11);
  for (const { file, doc } of docs) {
    const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
    assert.ok(Model, `${file}: no schema for ${doc.apiVersion} ${doc.kind}`);
    try {
      new Model(doc).validate();
    } catch (err) {
      assert.fail(`${file} ${doc.kind}/${doc.metadata?.name}: ${(err as Error).message}`);
    }
  }
});

test('the schema validation is real: a string gRPC probe port and a missing selector are rejected', () => {
  const inference = structuredClone(k8sFind(docs, 'Deployment', 'efficientbert-inference'));
  inference.spec.template.spec.containers[0].readinessProbe.grpc.port = '8001';
  assert.throws(() => new Deployment(inference).validate());
  const noSelector = structuredClone(k8sFind(docs, 'Deployment', 'efficientbert-inference'));
  delete noSelector.spec.selector;
  assert.throws(() => new Deployment(noSelector).validate());
});

test('names are unique per kind', () => {
  const keys = docs.map((d: K8sDoc) => `${d.doc.kind}/${d.doc.metadata.name}`);
  assert.equal(new Set(keys).size, keys.length);
});

test('Deployments: selectors match their pod labels; pods run as the images’ non-root UID', () => {
  for (const d of deployments) {
    const labels = d.spec.template.metadata.labels;
    for (const [k, v] of Object.entries(d.spec.selector.matchLabels))
      assert.equal(labels[k], v, d.metadata.name);
    const security = d.spec.template.spec.securityContext;
    assert.equal(security.runAsNonRoot, true);
    assert.equal(security.runAsUser, 10001, 'USER 10001:10001 in the Dockerfiles');
    for (const c of d.spec.template.spec.containers) {
      assert.equal(c.securityContext.allowPrivilegeEscalation, false);
      if (c.securityContext.readOnlyRootFilesystem)
        assert.ok(
          c.volumeMounts.some((m: Yaml) => m.mountPath === '/tmp'),
          `${d.metadata.name}: tsx caches under /tmp, so a read-only root needs a writable /tmp`,
        );
    }
  }
});

test('references resolve: Services, named ports, PVCs, ConfigMap, Secret, HPA and PDB targets', () => {
  const names = (kind: string) =>
    new Set(docs.filter((d) => d.doc.kind === kind).map((d) => d.doc.metadata.name));
  for (const s of docs.filter((d) => d.doc.kind === 'Service').map((d) => d.doc)) {
    const target = deployments.find((d) =>
      Object.entries(s.spec.selector).every(([k, v]) => d.spec.template.metadata.labels[k] === v),
    );
    assert.ok(target, `Service ${s.metadata.name} selects no Deployment`);
    const ports = target.spec.template.spec.containers.flatMap((c: Yaml) => c.ports ?? []);
    for (const p of s.spec.ports) {
      const port = ports.find((cp: Yaml) => cp.name === p.targetPort || cp.containerPort === p.targetPort);
      assert.ok(port, `Service ${s.metadata.name}: targetPort ${p.targetPort}`);
      assert.equal(
        port.containerPort,
        p.port,
        `Service ${s.metadata.name} exposes the container port unchanged`,
      );
    }
  }
  for (const d of deployments) {
    const spec = d.spec.template.spec;
    for (const v of spec.volumes ?? []) {
      if (v.persistentVolumeClaim)
        assert.ok(names('PersistentVolumeClaim').has(v.persistentVolumeClaim.claimName));
      if (v.secret) assert.ok(names('Secret').has(v.secret.secretName));
    }
    for (const c of spec.containers) {
      for (const m of c.volumeMounts ?? [])
        assert.ok(
          spec.volumes.some((v: Yaml) => v.name === m.name),
          m.name,
        );
      for (const from of c.envFrom ?? []) assert.ok(names('ConfigMap').has(from.configMapRef.name));
      for (const e of c.env ?? [])
        if (e.valueFrom?.secretKeyRef) {
          const secret = k8sFind(docs, 'Secret', e.valueFrom.secretKeyRef.name);
          assert.ok(e.valueFrom.secretKeyRef.key in secret.stringData, e.valueFrom.secretKeyRef.key);
        }
    }
  }
  const hpa = k8sFind(docs, 'HorizontalPodAutoscaler', 'efficientbert-inference');
  assert.ok(names('Deployment').has(hpa.spec.scaleTargetRef.name));
  const pdb = k8sFind(docs, 'PodDisruptionBudget', 'efficientbert-inference');
  assert.ok(
    deployments.some(
      (d) =>
        d.spec.template.metadata.labels['app.kubernetes.io/name'] ===
        pdb.spec.selector.matchLabels['app.kubernetes.io/name'],
    ),
  );
});

test('artifacts and published models live in S3: no PVC; inference pods pull into their own emptyDir cache', () => {
  assert.deepEqual(
    docs.filter((d) => d.doc.kind === 'PersistentVolumeClaim'),
    [],
    'no ReadWriteMany volume needed',
  );
  assert.equal(parseS3Url(configMap.data.EFFICIENTBERT_ARTIFACTS).prefix, 'artifacts/');
  assert.equal(configMap.data.EFFICIENTBERT_MODEL_REPO, STORE_MODEL_REPOSITORY);
  const worker = container('efficientbert-worker-gpu');
  assert.equal(configFromEnv(containerEnv(worker)).modelRepository, STORE_MODEL_REPOSITORY);
  const inference = container('efficientbert-inference');
  for (const c of [worker, inference]) {
    const env = c.env.map((e: Yaml) => e.name);
    for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) assert.ok(env.includes(key), key);
  }
  const env = containerEnv(inference);
  const config = parseConfig(['--repository', env.EFFICIENTBERT_MODEL_REPO!], {
    ...inferenceImageEnv(),
    ...env,
  });
  assert.ok(config !== 'help');
  assert.equal(config.modelStore, configMap.data.EFFICIENTBERT_ARTIFACTS);
  // The cache is writable under the read-only root: an emptyDir mounted where the server writes.
  const spec = k8sFind(docs, 'Deployment', 'efficientbert-inference').spec.template.spec;
  const mount = inference.volumeMounts.find((m: Yaml) => m.mountPath === config.repository);
  assert.ok(mount, `nothing mounted at the model cache ${config.repository}`);
  assert.ok(spec.volumes.find((v: Yaml) => v.name === mount.name).emptyDir);
  assert.ok(!mount.readOnly);
});

test('ConfigMap: the addresses and ports the services read', () => {
  for (const key of [
    'TEMPORAL_ADDRESS',
    'TEMPORAL_NAMESPACE',
    'EFFICIENTBERT_ARTIFACTS',
    'EFFICIENTBERT_MODEL_REPO',
  ])
    assert.ok(configMap.data[key], key);
  assert.match(configMap.data.TEMPORAL_ADDRESS, /^[a-z0-9.-]+:7233$/);
});

test('GPU worker: nvidia.com/gpu 1 and one training per GPU; both task queues', () => {
  const c = container('efficientbert-worker-gpu');
  assert.equal(c.resources.limits['nvidia.com/gpu'], 1);
  assert.equal(c.resources.requests['nvidia.com/gpu'], 1);
  const config = configFromEnv(containerEnv(c));
  assert.equal(config.gpuConcurrency, c.resources.limits['nvidia.com/gpu']);
  assert.deepEqual([...config.queues], ['light', 'gpu']);
  assert.equal(config.artifactsRoot, configMap.data.EFFICIENTBERT_ARTIFACTS);
  const strategy = k8sFind(docs, 'Deployment', 'efficientbert-worker-gpu').spec.strategy;
  assert.equal(strategy.rollingUpdate.maxSurge, 0, 'a rollout never needs a spare GPU');
});

test('inference: ports from the ConfigMap parse with the real config; native gRPC probes on that port and a registered service', () => {
  const c = container('efficientbert-inference');
  const env = containerEnv(c);
  const config = parseConfig(['--repository', env.EFFICIENTBERT_MODEL_REPO!], env);
  assert.ok(config !== 'help');
  const port = (name: string) => c.ports.find((p: Yaml) => p.name === name).containerPort;
  assert.equal(port('grpc'), config.port);
  assert.equal(port('metrics'), config.metricsPort);
  assert.equal(config.port, 8001);
  assert.equal(
    config.instances * config.intraOpThreads,
    Number(c.resources.requests.cpu),
    'workers x threads = CPU request',
  );
  const registered = new Set(['', SERVICE_NAMES.oip, SERVICE_NAMES.classify]);
  for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
    assert.ok(c[probe].grpc, `${probe} is a gRPC probe`);
    assert.equal(c[probe].grpc.port, config.port, probe);
    assert.ok(registered.has(c[probe].grpc.service ?? ''), `${probe}: ${c[probe].grpc.service}`);
  }
  const template = k8sFind(docs, 'Deployment', 'efficientbert-inference').spec.template;
  assert.equal(template.metadata.annotations['prometheus.io/port'], String(config.metricsPort));
  const hpa = k8sFind(docs, 'HorizontalPodAutoscaler', 'efficientbert-inference');
  assert.equal(hpa.apiVersion, 'autoscaling/v2');
  assert.equal(hpa.spec.metrics[0].resource.name, 'cpu');
  assert.ok(c.resources.requests.cpu, 'CPU utilization needs a CPU request');
});

test('search gateway: the ConfigMap port is the container port, the Service port and the readiness probe port', () => {
  const c = container('efficientbert-search-gateway');
  const env = containerEnv(c);
  const defaults = searchDefaults();
  const port = Number(env[defaults.portEnv] ?? defaults.port);
  assert.equal(port, 50051);
  assert.equal(env[defaults.hostEnv], '0.0.0.0');
  assert.equal(c.ports[0].containerPort, port);
  assert.equal(c.readinessProbe.grpc.port, port);
  assert.ok(searchHealthServices().includes(c.readinessProbe.grpc.service ?? ''));
  assert.equal(c.livenessProbe.tcpSocket.port, port, 'liveness does not depend on Temporal');
  assert.equal(k8sFind(docs, 'Service', 'efficientbert-search-gateway').spec.ports[0].port, port);
});

test('images are the ones the Dockerfiles build and compose runs', () => {
  const compose = loadCompose();
  const composeImages = new Set(
    Object.values(compose.services as Record<string, Yaml>).map((s) => imageName(s.image)),
  );
  for (const d of deployments)
    for (const c of d.spec.template.spec.containers) {
      assert.ok(
        IMAGES.some((i) => i.image === imageName(c.image)),
        c.image,
      );
      assert.ok(composeImages.has(imageName(c.image)), `${c.image} also runs in compose`);
    }
});

test('ports agree between compose and Kubernetes', () => {
  const compose = loadCompose();
  const published = (service: string) =>
    (compose.services[service].ports as string[]).map((p) => Number(p.split(':').at(-1))).sort();
  assert.deepEqual(
    published('inference'),
    container('efficientbert-inference')
      .ports.map((p: Yaml) => p.containerPort)
      .sort(),
  );
  assert.deepEqual(
    published('search-gateway'),
    container('efficientbert-search-gateway').ports.map((p: Yaml) => p.containerPort),
  );
});

test('every environment variable the manifests set is one the code reads', () => {
  const known = knownEnvNames(USAGE);
  for (const key of Object.keys(configMap.data)) assert.ok(known.has(key), `ConfigMap: ${key}`);
  for (const d of deployments)
    for (const c of d.spec.template.spec.containers)
      for (const e of c.env ?? [])
        assert.ok(known.has(e.name) || e.name === 'TEMPORAL_API_KEY', `${d.metadata.name}: ${e.name}`);
});
