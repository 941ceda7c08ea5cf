/**
 * Creates an ONNX Runtime session with the configured execution providers. onnxruntime-node 1.30
 * has no provider fallback of its own: asking for 'cuda' without its libraries makes session
 * creation throw even when 'cpu' is listed after it. So a failure with an accelerator in the list
 * is retried once on the CPU provider alone, and the reason (with what the dynamic loader says is
 * missing) is handed back for the log.
 */
import * as ort from 'onnxruntime-node';
import { diagnoseProviders } from './provider-diagnosis';

export interface SessionSettings {
  /** Preference order, e.g. ['cuda', 'cpu']. */
  providers: string[];
  intraOpThreads: number;
}

export interface CreatedSession {
  session: ort.InferenceSession;
  /** The provider list the session was created with. */
  providers: string[];
  /** Why the configured providers could not be used, when the session fell back to CPU. */
  fallbackReason?: string;
}

function sessionOptions(providers: string[], intraOpThreads: number): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: providers,
    intraOpNumThreads: intraOpThreads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    // Several sessions share the cores (one per worker thread); spinning threads of one session
    // steal time from the others (measured 2.5-3x slower), so they sleep instead.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}

export async function createSessionWithFallback(
  modelPath: string,
  settings: SessionSettings,
): Promise<CreatedSession> {
  const providers = settings.providers.length > 0 ? settings.providers : ['cpu'];
  try {
    const session = await ort.InferenceSession.create(
      modelPath,
      sessionOptions(providers, settings.intraOpThreads),
    );
    return { session, providers };
  } catch (err) {
    const onlyCpu = providers.every((p) => p === 'cpu');
    if (onlyCpu) throw err;
    const diagnosis = diagnoseProviders(providers);
    const reason = `execution providers [${providers.join(', ')}] unavailable: ${err instanceof Error ? err.message : String(err)}${diagnosis ? ` (${diagnosis})` : ''}`;
    const session = await ort.InferenceSession.create(
      modelPath,
      sessionOptions(['cpu'], settings.intraOpThreads),
    );
    return { session, providers: ['cpu'], fallbackReason: reason };
  }
}
