/**
 * Search.UploadArtifact: a client stream of file chunks stored in the artifact store the workers
 * read, answered with the content-addressed ref. This is how a dataset reaches a worker on another
 * machine: the client (the CLI) talks only gRPC to the gateway, never to the store's directory.
 */
import * as grpc from '@grpc/grpc-js';
import type { ArtifactStore } from '../../efficientbert/artifacts';

/** Largest upload accepted (a dataset, not a model zoo). */
export const MAX_UPLOAD_BYTES = 2 * 1024 ** 3;

interface UploadChunk {
  chunk: Buffer;
  filename: string;
}

async function* chunksOf(call: grpc.ServerReadableStream<UploadChunk, unknown>): AsyncGenerator<Buffer> {
  for await (const message of call as AsyncIterable<UploadChunk>) {
    if (message.chunk.byteLength > 0) yield message.chunk;
  }
}

export function uploadHandlers(store: ArtifactStore, maxBytes = MAX_UPLOAD_BYTES) {
  return {
    UploadArtifact: (
      call: grpc.ServerReadableStream<UploadChunk, unknown>,
      cb: grpc.sendUnaryData<unknown>,
    ) => {
      store.putChunks(chunksOf(call), maxBytes).then(
        ({ ref, size }) => cb(null, { ref, size }),
        (err: Error) =>
          cb({
            code: err instanceof RangeError ? grpc.status.RESOURCE_EXHAUSTED : grpc.status.INTERNAL,
            details: `upload failed: ${err.message}`,
          }),
      );
    },
  };
}
