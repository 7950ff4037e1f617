import type { Logger } from 'pino';
import type { KubeObject, ResourceType } from '../core/types.js';
import { classifyApiError } from '../kube/api-errors.js';
import type { KubeClient } from '../kube/kube-client.js';
import { kubeListWatch } from '../kube/list-watch.js';
import type { Clock } from '../runtime/clock.js';
import { Informer } from '../runtime/informer.js';
import type { ListWatch } from '../runtime/list-watch.js';

export const CUSTOM_RESOURCE_DEFINITIONS: ResourceType = Object.freeze({
  group: 'apiextensions.k8s.io',
  version: 'v1',
  kind: 'CustomResourceDefinition',
  plural: 'customresourcedefinitions',
  namespaced: false,
});

/** The API group of the CRD named `name` (always `plural.group`). */
export function crdGroup(name: string): string {
  return name.slice(name.indexOf('.') + 1);
}

export interface CrdWatchOptions {
  client: KubeClient;
  /** whether the CRD named `name` can change the watched types (e.g. its group is in `--resource-types`) */
  relevant(name: string): boolean;
  /** whether the last discovery saw the resource of the CRD named `name` served */
  served(name: string): boolean;
  /** runs discovery again (serialised with the periodic refresh); resolves when it is done */
  rediscover(): Promise<void>;
  clock: Clock;
  log: Logger;
  /** a burst of CRD events within this window costs one discovery; default 200 ms */
  debounceMs?: number;
  /**
   * a CRD whose resource discovery does not show (yet) — the API server serves it a moment after creating it
   * (Established), and its discovery document follows a moment later — is looked for again after these
   * delays; default 1 s, 2 s, 4 s
   */
  retryDelaysMs?: readonly number[];
  /** for tests: the list/watch of CRD metadata; default a metadata-only watch of the API server's CRDs */
  listWatch?: ListWatch<KubeObject>;
}

/**
 * Runs discovery as soon as a CustomResourceDefinition arrives, changes or goes, instead of at the next
 * `--discovery-interval`, so a new CRD's sources are mirrored within seconds and a removed one's watches stop.
 * Only the CRDs' metadata is watched. A CRD whose resource discovery does not reflect yet is retried a few
 * times. Not allowed to watch CRDs (RBAC): one warning, and the periodic refresh is all there is.
 * Nothing here decides which types are watched; discovery does.
 */
export class CrdWatch {
  private readonly o: CrdWatchOptions;
  private informer: Informer<KubeObject> | null = null;
  /** CRD name → discoveries left to find it as its CRD says (served or gone) */
  private readonly pending = new Map<string, number>();
  private timer: unknown = null;
  private running = false;
  private again = false;
  private unavailable = false;
  private unlisten: (() => void) | null = null;

  constructor(o: CrdWatchOptions) {
    this.o = o;
  }

  /** True while the watch is on (started and not refused). */
  active(): boolean {
    return this.informer !== null;
  }

  /** Starts watching CRDs; stops with `signal` or `stop()`. Again after `stop()` starts a fresh watch. */
  start(signal: AbortSignal): void {
    if (this.informer || this.unavailable || signal.aborted) return;
    const informer = new Informer<KubeObject>({
      listWatch:
        this.o.listWatch ??
        kubeListWatch<KubeObject>(this.o.client, CUSTOM_RESOURCE_DEFINITIONS, { metadataOnly: true }),
      // the rest of the metadata (a CRD's last-applied-configuration annotation can be its whole schema) is dropped
      transform: keepNeeded,
      clock: this.o.clock,
      onRestart: (_reason, err) => {
        if (err !== undefined) this.failed(informer, err);
      },
      onHandlerError: (err) => this.o.log.warn({ err: String(err) }, 'CRD event handler failed'),
    });
    // The first list is what discovery already covered, except a CRD created since it ran: only those count.
    informer.onAdd((crd) => {
      const name = crd.metadata.name;
      if (informer.hasSynced() || !this.o.served(name)) this.note(name);
    });
    informer.onUpdate((old, cur) => {
      const name = cur.metadata.name;
      // a new served version, a scope change (generation) or a deletion beginning; or a status change
      // (Established) of a CRD that discovery does not show yet
      if (
        old.metadata.generation !== cur.metadata.generation ||
        Boolean(old.metadata.deletionTimestamp) !== Boolean(cur.metadata.deletionTimestamp) ||
        expected(cur) !== this.o.served(name)
      )
        this.note(name);
    });
    informer.onDelete((crd) => this.note(crd.metadata.name));
    this.informer = informer;
    const onAbort = () => void this.stop();
    signal.addEventListener('abort', onAbort, { once: true });
    this.unlisten = () => signal.removeEventListener('abort', onAbort);
    informer.start(signal);
  }

  /** Stops the watch and forgets what was pending. */
  async stop(): Promise<void> {
    const informer = this.informer;
    this.informer = null;
    this.unlisten?.();
    this.unlisten = null;
    this.pending.clear();
    if (this.timer !== null) this.o.clock.clearTimeout(this.timer);
    this.timer = null;
    await informer?.stop();
  }

  private failed(informer: Informer<KubeObject>, err: unknown): void {
    const e = classifyApiError(err);
    if (e.reason !== 'Forbidden' && e.reason !== 'NotFound') {
      this.o.log.debug({ err: e.message }, 'CRD watch failed; retrying');
      return;
    }
    // Refused (RBAC) or not served: retrying cannot help until the controller is restarted.
    this.unavailable = true;
    this.o.log.warn(
      { err: e.message },
      'cannot watch customresourcedefinitions (grant get, list and watch on customresourcedefinitions.apiextensions.k8s.io): new and removed CRDs are found at the next discovery refresh (--discovery-interval)',
    );
    if (this.informer === informer) void this.stop();
  }

  /** A CRD event: discovery again soon, and until it shows the CRD as the CRD now is. */
  private note(name: string): void {
    if (!this.o.relevant(name)) return;
    this.pending.set(name, (this.o.retryDelaysMs ?? DEFAULT_RETRIES_MS).length);
    this.schedule(this.o.debounceMs ?? 200);
  }

  private schedule(ms: number): void {
    if (this.running) {
      this.again = true; // after the discovery in progress, which may have started before this event
      return;
    }
    if (this.timer !== null) return; // already due: one discovery for the burst
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = null;
      void this.rediscover();
    }, ms);
  }

  private async rediscover(): Promise<void> {
    if (!this.informer) return;
    this.running = true;
    this.again = false;
    try {
      await this.o.rediscover();
    } catch (err) {
      this.o.log.debug({ err: String(err) }, 'discovery after a CRD change failed');
    } finally {
      this.running = false;
    }
    if (!this.informer) return;
    if (this.again) {
      this.schedule(this.o.debounceMs ?? 200);
      return;
    }
    const delays = this.o.retryDelaysMs ?? DEFAULT_RETRIES_MS;
    let next: number | null = null;
    for (const [name, left] of this.pending) {
      const crd = this.informer.get(name);
      if ((crd !== undefined && expected(crd)) === this.o.served(name) || !this.o.relevant(name)) {
        this.pending.delete(name);
      } else if (left <= 0) {
        this.pending.delete(name);
        this.o.log.debug(
          { crd: name },
          'discovery still does not reflect the CRD; left to the periodic refresh',
        );
      } else {
        this.pending.set(name, left - 1);
        const delay = delays[delays.length - left] ?? 0;
        next = next === null ? delay : Math.min(next, delay);
      }
    }
    if (next !== null) this.schedule(next);
  }
}

const DEFAULT_RETRIES_MS = [1000, 2000, 4000];

/** What this watch reads of a CRD. */
function keepNeeded(crd: KubeObject): KubeObject {
  const { name, resourceVersion, generation, deletionTimestamp } = crd.metadata;
  return {
    apiVersion: crd.apiVersion,
    kind: crd.kind,
    metadata: {
      name,
      ...(resourceVersion !== undefined ? { resourceVersion } : {}),
      ...(generation !== undefined ? { generation } : {}),
      ...(deletionTimestamp !== undefined ? { deletionTimestamp } : {}),
    },
  };
}

/** Whether discovery should serve the CRD's resource: it exists and is not being deleted. */
function expected(crd: KubeObject): boolean {
  return !crd.metadata.deletionTimestamp;
}
