import type { Config } from '../config/config.js';

/** The configuration in force, replaced as a whole when a hot reload is accepted. */
export class LiveConfig {
  private current: Config;
  private readonly listeners: Array<(next: Config, prev: Config) => void> = [];

  constructor(initial: Config) {
    this.current = initial;
  }

  get(): Config {
    return this.current;
  }

  set(next: Config): void {
    const prev = this.current;
    this.current = next;
    for (const fn of this.listeners) fn(next, prev);
  }

  onChange(fn: (next: Config, prev: Config) => void): void {
    this.listeners.push(fn);
  }
}
