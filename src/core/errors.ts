/** Error types shared by all layers. Every error carries a machine-readable `reason`. */
export class KubemirrorError extends Error {
  readonly reason: string;
  constructor(reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.reason = reason;
  }
}

/** Do not retry: the input is wrong and only a change to it can help. Reported, not requeued. */
export class TerminalError extends KubemirrorError {}

/** Configuration problems, all of them at once. */
export class ConfigError extends KubemirrorError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super('InvalidConfig', `invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}
