/**
 * Which inference requests the server still takes, and how many are being answered: shutdown
 * stops admitting new ones and waits for the admitted ones.
 */
import { unavailable } from '../../grpc/errors';

export class Admission {
  private inflight = 0;
  private draining = false;
  private idle: Array<() => void> = [];

  get accepting(): boolean {
    return !this.draining;
  }

  /** Admits a request; call the returned function once it is answered. */
  enter(): () => void {
    if (this.draining) throw unavailable('Server is shutting down');
    this.inflight++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      if (--this.inflight === 0 && this.draining) for (const resolve of this.idle.splice(0)) resolve();
    };
  }

  /** Stops admitting and resolves when every admitted request has been answered. */
  drain(): Promise<void> {
    this.draining = true;
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }
}
