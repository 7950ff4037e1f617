import { randomBytes } from 'node:crypto';
import {
  type DestinationStream,
  type Logger,
  type LoggerOptions as PinoOptions,
  pino,
  destination as pinoDestination,
  stdTimeFunctions,
} from 'pino';
import { redactObject } from './redact.js';
import { textDestination } from './text-log-format.js';

export type { Logger } from 'pino';
export { REDACTED, redactObject } from './redact.js';

export interface LoggerOptions {
  /** trace, debug, info, warn, error, fatal or silent; change later with `logger.level = ...` */
  level: string;
  /**
   * `json` (default): one JSON object per line. `text`: one human-readable line per entry, made from the JSON
   * line after redaction, so both formats hide exactly the same things.
   */
  format?: 'json' | 'text';
  /** default: stdout, written synchronously so nothing is lost on exit */
  destination?: DestinationStream;
}

/**
 * Paths censored by pino itself, a second line of defence behind the deep redaction of every logged object
 * and every child binding.
 */
const REDACT_PATHS = [
  'data',
  'stringData',
  'binaryData',
  '*.data',
  '*.stringData',
  '*.binaryData',
  '*.*.data',
  '*.*.stringData',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'kubeconfig',
  '*.kubeconfig',
];

const BEARER = /\b(bearer\s+)[A-Za-z0-9._~+/=-]+/gi;

/**
 * The logger: level names as strings, ISO times, and secrets never written: every logged object is
 * deep-redacted (see redactObject), child bindings too, and `Bearer <token>` is masked in messages. The text
 * format is only a different rendering of the same redacted line.
 */
export function createLogger(opts: LoggerOptions): Logger {
  const options: PinoOptions = {
    level: opts.level,
    timestamp: stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
    formatters: {
      level: (label) => ({ level: label }),
      log: (obj) => redactObject(obj),
    },
    hooks: {
      logMethod(args, method) {
        const masked = args.map((a) => (typeof a === 'string' ? a.replace(BEARER, '$1[Redacted]') : a));
        return method.apply(this, masked as Parameters<typeof method>);
      },
    },
  };
  const logger =
    opts.format === 'text'
      ? pino(options, textDestination(opts.destination ?? pinoDestination({ dest: 1, sync: true })))
      : opts.destination
        ? pino(options, opts.destination)
        : pino(options);
  // child bindings skip formatters.log; children inherit this override, so every level is redacted
  const child = logger.child;
  logger.child = function redactedChild(this: Logger, bindings, childOptions) {
    return child.call(this, redactObject(bindings), childOptions);
  } as typeof logger.child;
  return logger;
}

/** One child logger per controller: every line carries `controller`. */
export function controllerLogger(root: Logger, controller: string): Logger {
  return root.child({ controller });
}

export interface ReconcileLogFields {
  resource: string;
  /** `namespace/name` (or whatever the queue key is) */
  key: string;
  /** default: a fresh newReconcileId() */
  reconcileId?: string;
}

/** One child logger per reconcile: every line carries `resource`, `key` and `reconcileId`. */
export function reconcileLogger(parent: Logger, fields: ReconcileLogFields): Logger {
  return parent.child({
    resource: fields.resource,
    key: fields.key,
    reconcileId: fields.reconcileId ?? newReconcileId(),
  });
}

/** Short random id that ties together the lines of one reconcile. */
export function newReconcileId(): string {
  return randomBytes(6).toString('hex');
}
