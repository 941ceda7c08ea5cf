/**
 * Entry point of the trainer child process (forked by the training activity with
 * `node --import tsx`). Receives one job over IPC, runs the trainer, reports, exits. Exits at once
 * when the parent goes away (IPC disconnect), so a SIGKILLed worker leaves no orphan training.
 */
import { fakeTrainer } from './fake';
import {
  type ParentToTrainer,
  TRAINER_PROTOCOL,
  type Trainer,
  TrainerError,
  type TrainerToParent,
} from './protocol';

function send(msg: TrainerToParent): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(msg, undefined, {}, () => resolve());
  });
}

async function pickTrainer(): Promise<Trainer> {
  const name = process.env.EFFICIENTBERT_TRAINER;
  if (name === 'fake') return fakeTrainer;
  // Loaded only when used: tfjs start-up is seconds the fake trainer should not pay.
  if (name === 'kd') return (await import('./kd')).kdTrainer;
  throw new TrainerError('runtime', `unknown trainer '${name}' (EFFICIENTBERT_TRAINER); available: kd, fake`);
}

process.on('disconnect', () => process.exit(70));

process.once('message', async (msg: ParentToTrainer) => {
  try {
    if (msg?.type !== 'job' || msg.job?.protocol !== TRAINER_PROTOCOL) {
      throw new TrainerError('runtime', `expected a ${TRAINER_PROTOCOL} job message`);
    }
    const result = await (await pickTrainer())(msg.job, (m) => void send(m));
    await send({ type: 'result', result });
    process.exit(0);
  } catch (err) {
    const kind = err instanceof TrainerError ? err.kind : 'runtime';
    await send({ type: 'error', kind, message: err instanceof Error ? err.message : String(err) });
    process.exit(kind === 'runtime' ? 1 : 0);
  }
});
