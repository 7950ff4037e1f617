import type { KubeObject, ResourceType } from '../core/types.js';
import { apiVersionOf } from '../core/types.js';
import type { Writer } from './writer.js';

export const EVENT_TYPE: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'Event',
  plural: 'events',
  namespaced: true,
};

export interface EventRecorderOptions {
  component: string;
  /** the same (object, reason, message) is not repeated within this window */
  dedupeWindowMs: number;
  now: () => number;
  onError?: (err: unknown) => void;
}

/**
 * Writes core/v1 Events about sources. Events go through the writer (rate limit, leader gate). Repeats of
 * the same event inside the dedupe window are dropped, so a failing source does not flood the namespace.
 * Recording never throws: an event is best effort.
 */
export class EventRecorder {
  private readonly recent = new Map<string, number>();
  private seq = 0;

  constructor(
    private readonly writer: Writer,
    private readonly opts: EventRecorderOptions,
  ) {}

  async record(
    type: ResourceType,
    obj: KubeObject,
    eventType: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): Promise<void> {
    const ns = obj.metadata.namespace ?? 'default';
    const dedupeKey = `${ns}/${obj.metadata.name}/${obj.metadata.uid}/${reason}/${message}`;
    const now = this.opts.now();
    const last = this.recent.get(dedupeKey);
    if (last !== undefined && now - last < this.opts.dedupeWindowMs) return;
    this.recent.set(dedupeKey, now);
    this.prune(now);
    const stamp = new Date(now).toISOString();
    const event: KubeObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {
        name: `${obj.metadata.name}.${now.toString(16)}${(this.seq++).toString(16)}`,
        namespace: ns,
      },
      involvedObject: {
        apiVersion: apiVersionOf(type),
        kind: type.kind,
        name: obj.metadata.name,
        namespace: ns,
        uid: obj.metadata.uid,
        resourceVersion: obj.metadata.resourceVersion,
      },
      reason,
      message: message.slice(0, 1024),
      type: eventType,
      source: { component: this.opts.component },
      reportingComponent: this.opts.component,
      firstTimestamp: stamp,
      lastTimestamp: stamp,
      count: 1,
    };
    try {
      await this.writer.create(EVENT_TYPE, event);
    } catch (err) {
      this.opts.onError?.(err);
    }
  }

  private prune(now: number): void {
    if (this.recent.size < 10_000) return;
    for (const [k, t] of this.recent) if (now - t >= this.opts.dedupeWindowMs) this.recent.delete(k);
  }
}
