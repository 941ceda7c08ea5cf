import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  type FloatTensor,
  readSafetensors,
  type SafetensorsEntry,
  serializeSafetensors,
} from './safetensors';
import { readTorchCheckpoint } from './torch-checkpoint';

/**
 * The weights of a Hugging Face folder, in any of the four layouts `save_pretrained` writes: one
 * model.safetensors, one pytorch_model.bin, or either sharded (an index.json whose weight_map names
 * the shard holding each tensor, and the shards beside it). Whatever the layout, the teacher we
 * store holds one model.safetensors.
 */

/** The layouts, in the order import prefers them when a folder holds several. */
export const WEIGHT_SOURCES = [
  'model.safetensors',
  'model.safetensors.index.json',
  'pytorch_model.bin',
  'pytorch_model.bin.index.json',
] as const;
export type WeightsSource = (typeof WEIGHT_SOURCES)[number];

/** Shard file names as save_pretrained writes them (model-00001-of-00003.safetensors). */
const SHARD_NAMES: Readonly<Partial<Record<WeightsSource, RegExp>>> = {
  'model.safetensors.index.json': /^model-\d{5}-of-\d{5}\.safetensors$/,
  'pytorch_model.bin.index.json': /^pytorch_model-\d{5}-of-\d{5}\.bin$/,
};

/** A weights file that cannot be used; `file` names it (the caller reports it as the file at fault). */
export class WeightsError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'WeightsError';
  }
}

export function isShardFileName(name: string): boolean {
  return Object.values(SHARD_NAMES).some((re) => re.test(name));
}

/** The layout import reads from `dir`: the first of WEIGHT_SOURCES present, if any. */
export function weightsSourceOf(dir: string): WeightsSource | undefined {
  return WEIGHT_SOURCES.find((f) => fs.existsSync(path.join(dir, f)));
}

/** The files of `dir` that hold the weights import reads: the chosen file, or an index and its shards. */
export function weightFilesOf(dir: string): string[] {
  const source = weightsSourceOf(dir);
  if (source === undefined) return [];
  const shard = SHARD_NAMES[source];
  if (!shard) return [source];
  return [
    source,
    ...fs
      .readdirSync(dir)
      .filter((f) => shard.test(f))
      .sort(),
  ];
}

function readTensors(file: string, name: string): Map<string, SafetensorsEntry> {
  try {
    return name.endsWith('.bin') ? readTorchCheckpoint(file) : readSafetensors(file);
  } catch (err) {
    throw new WeightsError(name, (err as Error).message.replace(`${file}: `, ''));
  }
}

/** weight_map of a shard index: tensor name -> shard file, every shard a bare save_pretrained name. */
function readShardIndex(dir: string, index: WeightsSource): Map<string, string> {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(path.join(dir, index), 'utf8'));
  } catch (err) {
    throw new WeightsError(index, `cannot be read: ${(err as Error).message}`);
  }
  const map = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map) || Object.keys(map).length === 0)
    throw new WeightsError(index, `'weight_map' must be a non-empty object of tensor name to shard file`);
  const shardName = SHARD_NAMES[index]!;
  const out = new Map<string, string>();
  for (const [tensor, shard] of Object.entries(map)) {
    if (typeof shard !== 'string' || !shardName.test(shard))
      throw new WeightsError(
        index,
        `tensor '${tensor}' is mapped to '${String(shard)}', not a shard file name`,
      );
    if (!fs.existsSync(path.join(dir, shard)))
      throw new WeightsError(shard, `missing (named by ${index} for tensor '${tensor}')`);
    out.set(tensor, shard);
  }
  return out;
}

/** Every float tensor of a sharded checkpoint, in the index's order (deterministic bytes out). */
function readSharded(dir: string, index: WeightsSource): Map<string, FloatTensor> {
  const weightMap = readShardIndex(dir, index);
  const shards = new Map<string, Map<string, SafetensorsEntry>>();
  for (const shard of new Set(weightMap.values())) {
    const entries = readTensors(path.join(dir, shard), shard);
    for (const name of entries.keys())
      if (weightMap.get(name) !== shard)
        throw new WeightsError(shard, `holds tensor '${name}', which ${index} does not map to it`);
    shards.set(shard, entries);
  }
  const tensors = new Map<string, FloatTensor>();
  for (const [name, shard] of weightMap) {
    const entry = shards.get(shard)!.get(name);
    if (!entry) throw new WeightsError(shard, `has no tensor '${name}' (${index} maps it there)`);
    // Integer buffers (position_ids) are not weights.
    if (entry.data) tensors.set(name, { shape: entry.shape, data: entry.data });
  }
  return tensors;
}

function floatTensors(entries: Map<string, SafetensorsEntry>): Map<string, FloatTensor> {
  const tensors = new Map<string, FloatTensor>();
  // State-dict order keeps the output deterministic; integer buffers are not weights.
  for (const [name, e] of entries) if (e.data) tensors.set(name, { shape: e.shape, data: e.data });
  return tensors;
}

/** Writes the folder's weights as one model.safetensors into `out`; returns the layout read. */
export function writeTeacherWeights(dir: string, out: string): WeightsSource {
  const source = weightsSourceOf(dir);
  if (source === undefined)
    throw new WeightsError(
      'model.safetensors',
      `missing (and no ${WEIGHT_SOURCES.slice(1).join(', ')} to read instead)`,
    );
  const target = path.join(out, 'model.safetensors');
  if (source === 'model.safetensors') fs.copyFileSync(path.join(dir, source), target);
  else {
    const tensors =
      source === 'pytorch_model.bin'
        ? floatTensors(readTensors(path.join(dir, source), source))
        : readSharded(dir, source);
    fs.writeFileSync(target, serializeSafetensors(tensors, { format: 'pt' }));
  }
  return source;
}
