import * as path from 'node:path';
import { DirArtifactStore } from './dir-store';
import { parseS3Url, S3ArtifactStore, s3ClientFromEnv } from './s3-store';
import type { ArtifactStore } from './store';

export const DEFAULT_ARTIFACTS = path.join('.efficientbert', 'artifacts');

/** The store at `location`: an `s3://bucket/prefix` URL, else a directory. */
export function openArtifactStore(location: string, env: NodeJS.ProcessEnv = process.env): ArtifactStore {
  if (location.startsWith('s3://')) return new S3ArtifactStore(s3ClientFromEnv(env), parseS3Url(location));
  return new DirArtifactStore(location);
}

/** The store named by EFFICIENTBERT_ARTIFACTS, else ./.efficientbert/artifacts. */
export function artifactStoreFromEnv(env: NodeJS.ProcessEnv = process.env): ArtifactStore {
  return openArtifactStore(env.EFFICIENTBERT_ARTIFACTS ?? DEFAULT_ARTIFACTS, env);
}
