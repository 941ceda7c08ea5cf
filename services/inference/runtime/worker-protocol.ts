/** Messages between a SessionPool and its session workers (structured-clone safe). */

export interface WorkerInit {
  modelPath: string;
  providers: string[];
  intraOpThreads: number;
}

export interface TensorInfo {
  name: string;
  /** ORT type name: 'int64', 'float32', ... */
  type: string;
  /** Symbolic dimensions are -1. */
  shape: number[];
}

export interface TensorData {
  type: string;
  dims: number[];
  data: BigInt64Array | Float32Array | Int32Array | Float64Array | Uint8Array;
}

export type Feeds = Record<string, TensorData>;

export type WorkerReply =
  | {
      kind: 'ready';
      providers: string[];
      fallbackReason?: string;
      inputs: TensorInfo[];
      outputs: TensorInfo[];
    }
  | { kind: 'failed'; message: string }
  | { kind: 'result'; id: number; outputs: Feeds }
  | { kind: 'error'; id: number; message: string };

export interface RunMessage {
  id: number;
  feeds: Feeds;
}
