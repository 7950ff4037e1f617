import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { CONFIGMAPS, NAMESPACES } from '../core/builtin-types.js';
import type { MirrorKeys } from '../core/keys.js';
import type { KubeObject, ResourceType } from '../core/types.js';
import { classifyApiError } from '../kube/api-errors.js';
import type { KubeClient } from '../kube/kube-client.js';
import { kubeListWatch } from '../kube/list-watch.js';
import { objectPath, type Writer } from '../kube/writer.js';
import { type Clock, sleep } from '../runtime/clock.js';
import { Informer } from '../runtime/informer.js';
import {
  type Routine,
  type RoutineCollector,
  type RoutineEvent,
  type RunningRoutine,
  runRoutine,
  type StepResult,
} from '../runtime/routines.js';
import type { LiveConfig } from './live-config.js';
import type { SourceStatusStore } from './source-status.js';

/**
 * The canary (SPEC §9, after coreos/khealth): a routine that owns a ConfigMap in the controller's namespace,
 * mirrored like any user source into the canary namespaces, bumps a value every interval and measures,
 * through its own watch, the time until every canary mirror shows it. Its mirrors are ordinary mirrors: the
 * bump goes through the same API server, watches, queue and writer as a user's change, so the figure is what
 * users get. It runs on the leader only and never counts as a user source (`SourceStatusStore.markInternal`).
 */

export const CANARY_ROUTINE = 'canary';
export const CANARY_NAME = 'kubemirror-canary';
/** on the canary ConfigMap (copied to its mirrors) and on the namespaces the canary created */
export const CANARY_LABEL = 'app.kubernetes.io/name';
export const CANARY_LABEL_VALUE = 'kubemirror-canary';
const CANARY_TYPE_ID = 'ConfigMap.v1';
/**
 * On the canary source, bumped with `data.round`: copied to every mirror as an annotation, which the mirror
 * caches of other clusters keep (they hold metadata, not data), so a remote canary mirror can be read there.
 */
export const CANARY_ROUND_ANNOTATION = 'canary.kubemirror.io/round';
/** How often other clusters' canary mirrors are looked at during a round (their caches are not the canary's). */
const REMOTE_LOOK_MS = 50;

/** What the canary needs of another cluster (SPEC §8/§9): its canary mirrors, and a way to make the namespace. */
export interface CanaryRemote {
  readonly name: string;
  /** the canary mirror there, as that cluster's mirror cache holds it */
  mirror(namespace: string, name: string): KubeObject | undefined;
  /** creates the canary namespace there when missing (a remote ServiceAccount may not be allowed to) */
  ensureNamespace(name: string, labels: Record<string, string>): Promise<void>;
}

/** How long a round may take: most of an interval, so one round is over before the next starts. */
export function roundTimeoutMs(intervalMs: number): number {
  return Math.max(500, Math.min(Math.round(intervalMs * 0.8), 5 * 60_000));
}

export interface CanaryDeps {
  client: KubeClient;
  /** the controller's writer: the canary's own writes share its limiter and leader check */
  writer: Writer;
  keys: MirrorKeys;
  config: LiveConfig;
  status: SourceStatusStore;
  /** whether ConfigMap.v1 is mirrored (the canary needs it) */
  watches: (typeId: string) => boolean;
  collector: RoutineCollector;
  clock: Clock;
  log: Logger;
  /** one finished round (kubemirror_canary_*) */
  round?: (ok: boolean, seconds: number | null, finishedAtMs: number) => void;
  /** the registered other clusters: with any, the canary goes to each of them too */
  remotes?: () => readonly CanaryRemote[];
}

/** One canary routine for a fixed set of namespaces; `Canary` swaps it when the settings change. */
class CanaryRoutine implements Routine {
  readonly name = CANARY_ROUTINE;
  private informer: Informer<KubeObject> | null = null;
  private informerStop = new AbortController();
  private readonly listeners = new Set<() => void>();
  private seq = 0;
  /** after a failed round: namespaces and source are checked again first (one may have been deleted) */
  private recheck = false;

  constructor(
    private readonly d: CanaryDeps,
    private readonly namespace: string,
    private readonly targets: readonly string[],
  ) {}

  private get ref() {
    return { namespace: this.namespace, name: CANARY_NAME };
  }

  async init(): Promise<StepResult> {
    if (!this.d.watches(CANARY_TYPE_ID))
      throw new Error(`${CANARY_TYPE_ID} is not among the mirrored types (--resource-types): no canary`);
    if (this.targets.length === 0) throw new Error('no canary namespaces (--canary-namespaces)');
    this.d.status.markInternal(CANARY_TYPE_ID, this.ref);
    const created: string[] = [];
    for (const ns of this.targets) if (await this.ensureNamespace(ns)) created.push(ns);
    await this.ensureSource();
    await this.ensureRemoteNamespaces();
    if (!this.informer) {
      const { keys } = this.d;
      this.informer = new Informer<KubeObject>({
        listWatch: kubeListWatch<KubeObject>(this.d.client, CONFIGMAPS),
        labelSelector: `${keys.mirror}=true,${CANARY_LABEL}=${CANARY_LABEL_VALUE}`,
        clock: this.d.clock,
      });
      const changed = () => {
        for (const l of this.listeners) l();
      };
      this.informer.onAdd(changed);
      this.informer.onUpdate(changed);
      this.informer.onDelete(changed);
      this.informer.start(this.informerStop.signal);
    }
    await this.informer.waitForSync(this.informerStop.signal);
    return {
      ok: true,
      message: `canary ${this.namespace}/${CANARY_NAME} mirrored into ${this.targets.join(',')}`,
      ...(created.length > 0 ? { detail: { createdNamespaces: created } } : {}),
    };
  }

  async poll(signal: AbortSignal): Promise<StepResult> {
    if (this.recheck) {
      for (const ns of this.targets) await this.ensureNamespace(ns);
      await this.ensureSource();
      await this.ensureRemoteNamespaces();
    }
    this.recheck = true; // until this round succeeds
    const token = `${this.d.clock.now()}-${++this.seq}`;
    const started = this.d.clock.now();
    const timeoutMs = roundTimeoutMs(this.d.config.get().canaryIntervalMs);
    try {
      await this.d.writer.mergePatch(CONFIGMAPS, this.ref, {
        metadata: { annotations: { [CANARY_ROUND_ANNOTATION]: token } },
        data: { round: token, bumpedAt: new Date(started).toISOString() },
      });
    } catch (err) {
      throw new Error(`could not bump the canary: ${classifyApiError(err).message}`);
    }
    const missing = await this.waitForMirrors(token, started + timeoutMs, signal);
    const finished = this.d.clock.now();
    if (missing.length > 0) {
      return {
        ok: false,
        message: `round ${token} not seen within ${timeoutMs} ms in ${missing.join(', ')}`,
        detail: { missing },
      };
    }
    this.recheck = false;
    const seconds = (finished - started) / 1000;
    return { ok: true, message: `every canary mirror showed round ${token}`, value: seconds };
  }

  async cleanup(): Promise<StepResult> {
    const deleted: string[] = [];
    await this.d.writer.delete(CONFIGMAPS, this.ref);
    // the controller deletes the mirrors (the source's finalizer); wait for them, bounded
    const deadline = this.d.clock.now() + 10_000;
    await this.waitUntil(() => (this.informer?.list().length ?? 0) === 0, deadline);
    // then our finalizer comes off and the source goes (nothing watches it here: look every 100 ms)
    while (this.d.clock.now() < deadline && (await this.get(CONFIGMAPS, this.namespace, CANARY_NAME)))
      await sleep(this.d.clock, 100);
    for (const ns of this.targets) {
      const live = await this.get(NAMESPACES, undefined, ns);
      if (live?.metadata.labels?.[CANARY_LABEL] !== CANARY_LABEL_VALUE) continue; // not ours: left alone
      await this.d.writer.delete(NAMESPACES, { namespace: '', name: ns, uid: live.metadata.uid });
      deleted.push(ns);
    }
    this.d.status.unmarkInternal(CANARY_TYPE_ID, this.ref);
    return {
      ok: true,
      message: `canary removed${deleted.length > 0 ? `; namespaces deleted: ${deleted.join(',')}` : ''}`,
    };
  }

  /** Stops the canary's own watch. */
  async close(): Promise<void> {
    this.informerStop.abort();
    await this.informer?.stop();
    this.informer = null;
  }

  /** The canary namespaces whose mirror does not show `token` by `deadline` (empty: all do). */
  private async waitForMirrors(token: string, deadline: number, signal: AbortSignal): Promise<string[]> {
    const remotes = this.d.remotes?.() ?? [];
    const missing = () => [
      ...this.targets.filter(
        (ns) =>
          (this.informer?.get(`${ns}/${CANARY_NAME}`)?.data as Record<string, string> | undefined)?.round !==
          token,
      ),
      ...remotes.flatMap((c) =>
        this.targets
          .filter(
            (ns) => c.mirror(ns, CANARY_NAME)?.metadata.annotations?.[CANARY_ROUND_ANNOTATION] !== token,
          )
          .map((ns) => `${c.name}/${ns}`),
      ),
    ];
    // other clusters' mirrors change without an event here: look at them every REMOTE_LOOK_MS meanwhile
    let look: unknown = null;
    const poke = () => {
      for (const l of this.listeners) l();
      look = this.d.clock.setTimeout(poke, REMOTE_LOOK_MS);
    };
    if (remotes.length > 0) look = this.d.clock.setTimeout(poke, REMOTE_LOOK_MS);
    try {
      await this.waitUntil(() => missing().length === 0, deadline, signal);
    } finally {
      if (look !== null) this.d.clock.clearTimeout(look);
    }
    return missing();
  }

  /** The canary namespaces in every other cluster; one that cannot be made shows up as missing in the round. */
  private async ensureRemoteNamespaces(): Promise<void> {
    for (const c of this.d.remotes?.() ?? [])
      for (const ns of this.targets)
        await c
          .ensureNamespace(ns, { [CANARY_LABEL]: CANARY_LABEL_VALUE })
          .catch((err) =>
            this.d.log.debug(
              { cluster: c.name, namespace: ns, err: String(err) },
              'canary namespace not made',
            ),
          );
  }

  /** Resolves when `done()` holds (checked on every canary watch event), at `deadline` or on abort. */
  private waitUntil(done: () => boolean, deadline: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: unknown = null;
      const finish = () => {
        this.listeners.delete(check);
        if (timer !== null) this.d.clock.clearTimeout(timer);
        signal?.removeEventListener('abort', finish);
        resolve();
      };
      const check = () => {
        if (done()) finish();
      };
      if (done() || signal?.aborted) {
        resolve();
        return;
      }
      this.listeners.add(check);
      signal?.addEventListener('abort', finish, { once: true });
      timer = this.d.clock.setTimeout(finish, Math.max(0, deadline - this.d.clock.now()));
    });
  }

  /** Creates the namespace when missing, labelled as the canary's; true when it did. */
  private async ensureNamespace(name: string): Promise<boolean> {
    if (await this.get(NAMESPACES, undefined, name)) return false;
    try {
      await this.d.writer.create(NAMESPACES, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, labels: { [CANARY_LABEL]: CANARY_LABEL_VALUE } },
      });
      return true;
    } catch (err) {
      if (classifyApiError(err).reason === 'AlreadyExists') return false;
      throw err;
    }
  }

  /** The canary source: created, or its labels and targets set (the namespaces may have changed). */
  private async ensureSource(): Promise<void> {
    const { keys } = this.d;
    const labels = { [keys.enabled]: 'true', [CANARY_LABEL]: CANARY_LABEL_VALUE };
    // with cross-cluster on, every registered cluster too (SPEC §9): a dead remote fails the next round
    const annotations: Record<string, string> = {
      [keys.sync]: 'true',
      [keys.targetNamespaces]: this.targets.join(','),
      ...(this.d.remotes ? { [keys.targetClusters]: 'local,*' } : {}),
    };
    const live = await this.get(CONFIGMAPS, this.namespace, CANARY_NAME);
    if (live) {
      const patch = { ...annotations, ...(this.d.remotes ? {} : { [keys.targetClusters]: null }) };
      await this.d.writer.mergePatch(CONFIGMAPS, this.ref, { metadata: { labels, annotations: patch } });
      return;
    }
    await this.d.writer.create(CONFIGMAPS, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { ...this.ref, labels, annotations },
      data: { round: 'init' },
    });
  }

  private async get(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
  ): Promise<KubeObject | null> {
    try {
      return await this.d.client.request<KubeObject>({
        method: 'GET',
        path: objectPath(type, { namespace, name }),
        verb: 'get',
        resource: type.plural,
      });
    } catch (err) {
      if (classifyApiError(err).reason === 'NotFound') return null;
      throw err;
    }
  }
}

/** A round as `/status` shows it. */
export interface CanaryRound {
  started: string;
  finished: string;
  latencySeconds?: number;
  error?: string;
}

/**
 * Runs the canary routine while `--canary-interval` is set, on the leader: started by `start()`, swapped when
 * the namespaces change, stopped (with cleanup when `--canary-cleanup`) when turned off or on `stop()`.
 */
export class Canary {
  private running: { routine: CanaryRoutine; run: RunningRoutine; targets: string } | null = null;
  private chain: Promise<void> = Promise.resolve();
  private started = false;

  constructor(private readonly d: CanaryDeps) {
    d.collector.onEvent((e) => {
      if (e.routine !== CANARY_ROUTINE) return;
      if (e.step === 'poll') d.round?.(e.ok, e.ok ? (e.value ?? null) : null, e.time);
      if (!e.ok)
        d.log.warn({ step: e.step, err: e.message }, `canary ${e.step === 'poll' ? 'round' : e.step} failed`);
    });
    d.config.onChange((next) => {
      if (this.started) this.enqueue(() => this.apply(next));
    });
  }

  /** Starts following the settings (leader only). */
  start(): Promise<void> {
    this.started = true;
    return this.enqueue(() => this.apply(this.d.config.get()));
  }

  /** Stops the routine; removes the canary when `cleanup` (default: `--canary-cleanup`). */
  stop(cleanup = this.d.config.get().canaryCleanup): Promise<void> {
    this.started = false;
    return this.enqueue(() => this.halt(cleanup));
  }

  /** `/status` `canary` section. */
  status(): Record<string, unknown> {
    const cfg = this.d.config.get();
    const s = this.d.collector.get(CANARY_ROUTINE);
    const rounds = (s?.events ?? []).filter((e) => e.step === 'poll').map(toRound);
    return {
      enabled: cfg.canaryIntervalMs > 0,
      running: this.running !== null,
      intervalSeconds: cfg.canaryIntervalMs / 1000,
      namespaces: cfg.canaryNamespaces,
      ...(s
        ? {
            phase: s.phase,
            consecutiveFailures: s.consecutiveFailures,
            ...(s.lastSuccess ? { lastSuccess: new Date(s.lastSuccess.time).toISOString() } : {}),
            ...(s.last ? { lastEvent: { step: s.last.step, ok: s.last.ok, message: s.last.message } } : {}),
          }
        : {}),
      rounds,
    };
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(fn).catch((err) => this.d.log.error({ err: String(err) }, 'canary'));
    return this.chain;
  }

  private async apply(cfg: Config): Promise<void> {
    const targets = cfg.canaryNamespaces.join(',');
    if (cfg.canaryIntervalMs <= 0) return this.halt(cfg.canaryCleanup);
    if (this.running?.targets === targets) return;
    if (this.running) await this.halt(false);
    const routine = new CanaryRoutine(this.d, cfg.leaderElectionNamespace || 'default', cfg.canaryNamespaces);
    const run = runRoutine(routine, {
      clock: this.d.clock,
      collector: this.d.collector,
      intervalMs: () => Math.max(1, this.d.config.get().canaryIntervalMs),
    });
    this.running = { routine, run, targets };
    this.d.log.info({ namespaces: cfg.canaryNamespaces, intervalMs: cfg.canaryIntervalMs }, 'canary started');
  }

  private async halt(cleanup: boolean): Promise<void> {
    const r = this.running;
    if (!r) return;
    await r.run.stop({ cleanup });
    await r.routine.close();
    this.running = null; // only now: /status says running until the cleanup is done
    this.d.log.info({ cleanup }, 'canary stopped');
  }
}

function toRound(e: RoutineEvent): CanaryRound {
  return {
    started: new Date(e.startedAt).toISOString(),
    finished: new Date(e.time).toISOString(),
    ...(e.ok && e.value !== undefined ? { latencySeconds: e.value } : {}),
    ...(e.ok ? {} : { error: e.message }),
  };
}
