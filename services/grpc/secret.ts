/**
 * A secret (a bearer token) that cannot leak by accident: JSON.stringify, util.inspect, template
 * strings and console.log all print a placeholder. Only `reveal()` gives the value, so every place
 * that needs the real thing is one grep away.
 */
import { inspect } from 'node:util';

const REDACTED = '[redacted]';

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
