import { KubemirrorError } from '../core/errors.js';
import { type ResourceType, resourceTypeId } from '../core/types.js';
import { type Clock, sleep, systemClock } from '../runtime/clock.js';
import { classifyApiError } from './api-errors.js';
import type { KubeClient } from './kube-client.js';

/** A `--resource-types` entry, already parsed. */
export interface ResourceTypeRef {
  kind: string;
  version: string;
  group: string;
}

export interface DiscoveryChange {
  added: ResourceType[];
  removed: ResourceType[];
}

/** What the last discovery found, including what it left out and why. */
export interface DiscoveryReport {
  types: ResourceType[];
  /** served types refused by the deny function */
  denied: Array<{ type: ResourceType; reason: string }>;
  /** explicit entries that could not be used: unknown, cluster-scoped, missing verbs or denied */
  unresolved: Array<{ entry: ResourceTypeRef; message: string }>;
  /** group versions whose discovery failed; their previously known types are kept */
  failed: Array<{ groupVersion: string; error: string }>;
  /**
   * every resource of a named group the run saw served, eligible or not, as `plural.group`: the name of the
   * CRD that would serve it. Only the named group versions with an explicit list.
   */
  served: string[];
}

export interface DiscoveryOptions {
  client: Pick<KubeClient, 'request'>;
  /** why a type must not be mirrored, or null; `explicit` is true for `--resource-types` entries */
  deny?: (t: ResourceType, explicit: boolean) => string | null;
  /** resolve exactly these instead of discovering everything; empty or absent = discover */
  explicit?: readonly ResourceTypeRef[];
  intervalMs: number;
  clock?: Clock;
  /** types to start or stop watching; called after each refresh that changed something */
  onChange?: (change: DiscoveryChange) => void;
  /** after every refresh that completed, changed or not, with its report */
  onRefreshed?: (report: DiscoveryReport) => void;
  /**
   * a refresh failed (wholly or for some group versions), or explicit entries could not be resolved (one
   * DiscoveryError listing each); the last good set stays in force
   */
  onError?: (err: unknown) => void;
}

const REQUIRED_VERBS = ['get', 'list', 'watch', 'create', 'update', 'delete'];

interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
  verbs?: string[];
}

interface ApiResourceList {
  groupVersion?: string;
  resources?: ApiResource[];
}

interface ApiGroupList {
  groups?: Array<{
    name: string;
    versions?: Array<{ groupVersion: string; version: string }>;
    preferredVersion?: { groupVersion: string; version: string };
  }>;
}

export class DiscoveryError extends KubemirrorError {}

/**
 * Finds the resource types to mirror: the preferred version of every namespaced resource that supports
 * get/list/watch/create/update/delete (subresources skipped), minus what `deny` refuses; or exactly the
 * explicit entries, each resolved against what the server serves. `start` refreshes every `intervalMs` and
 * reports added/removed types. A failed group version keeps its previous types instead of "removing" them.
 */
export class DiscoveryManager {
  private readonly opts: DiscoveryOptions;
  private readonly clock: Clock;
  private explicit: readonly ResourceTypeRef[];
  private intervalMs: number;
  private known = new Map<string, ResourceType>();
  private report: DiscoveryReport = { types: [], denied: [], unresolved: [], failed: [], served: [] };
  private refreshed = false;
  private controller: AbortController | null = null;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  /** callers of refreshSoon() waiting for a refresh that has not started yet */
  private requested: Array<() => void> = [];

  constructor(opts: DiscoveryOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
    this.explicit = opts.explicit ?? [];
    this.intervalMs = opts.intervalMs;
  }

  /** The types currently in force (after the last good refresh). */
  current(): ResourceType[] {
    return [...this.known.values()];
  }

  lastReport(): DiscoveryReport {
    return this.report;
  }

  /** Changes what to resolve and how often, at run time; the next refresh (triggered now) applies it. */
  configure(next: { explicit?: readonly ResourceTypeRef[]; intervalMs?: number }): void {
    if (next.explicit) this.explicit = next.explicit;
    if (next.intervalMs !== undefined) this.intervalMs = next.intervalMs;
    this.wake?.();
  }

  /**
   * Asks the running loop for a refresh now, instead of at the next interval; resolves once a refresh that
   * started after this call has ended, whatever its outcome. One already running finishes first (it may have
   * started before whatever prompted this call), and calls made meanwhile share the next one. Resolves at once
   * when the loop is not running.
   */
  refreshSoon(): Promise<void> {
    if (!this.loop || !this.controller || this.controller.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      this.requested.push(resolve);
      this.wake?.();
    });
  }

  /** One discovery pass with no side effects on the manager's state. */
  async discover(): Promise<ResourceType[]> {
    return (await this.run()).types;
  }

  /** Discovers, updates `current()`, and calls onChange when something was added or removed. */
  async refresh(): Promise<DiscoveryChange> {
    const report = await this.run();
    const previous = this.known;
    const failedGroups = new Set(report.failed.map((f) => f.groupVersion.split('/').slice(0, -1).join('/')));
    const next = new Map(report.types.map((t) => [resourceTypeId(t), t]));
    // Keep what a failed group version served before: an unreachable API is not a removed CRD.
    for (const [id, t] of previous) if (!next.has(id) && failedGroups.has(t.group)) next.set(id, t);
    const added = [...next.entries()].filter(([id]) => !previous.has(id)).map(([, t]) => t);
    const removed = [...previous.entries()].filter(([id]) => !next.has(id)).map(([, t]) => t);
    // sorted like run()'s types, so the order never depends on which group failed
    this.known = new Map([...next.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    this.report = { ...report, types: [...this.known.values()] };
    this.refreshed = true;
    if (report.failed.length > 0) {
      this.opts.onError?.(
        new DiscoveryError(
          'DiscoveryPartial',
          `discovery failed for ${report.failed.map((f) => `${f.groupVersion} (${f.error})`).join(', ')}`,
        ),
      );
    }
    if (report.unresolved.length > 0) {
      this.opts.onError?.(
        new DiscoveryError('UnknownResourceType', report.unresolved.map((u) => u.message).join('; ')),
      );
    }
    const change = { added, removed };
    if (added.length > 0 || removed.length > 0) this.opts.onChange?.(change);
    this.opts.onRefreshed?.(this.report);
    return change;
  }

  /** Refreshes now (unless `refresh()` already ran) and then every `intervalMs`, until stopped. */
  start(signal?: AbortSignal): void {
    if (this.loop) return;
    const controller = new AbortController();
    this.controller = controller;
    signal?.addEventListener('abort', () => controller.abort(), { once: true });
    this.loop = this.every(controller.signal);
  }

  async stop(): Promise<void> {
    this.controller?.abort();
    await this.loop;
  }

  private async every(signal: AbortSignal): Promise<void> {
    let first = !this.refreshed;
    while (!signal.aborted) {
      if (!first && this.requested.length === 0) {
        const woken = new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        await Promise.race([sleep(this.clock, this.intervalMs, signal).catch(() => {}), woken]);
        this.wake = null;
        if (signal.aborted) break;
      }
      first = false;
      const answered = this.requested;
      this.requested = [];
      try {
        await this.refresh();
      } catch (err) {
        this.opts.onError?.(err);
      }
      for (const done of answered) done();
    }
    for (const done of this.requested) done();
    this.requested = [];
  }

  private run(): Promise<DiscoveryReport> {
    return this.explicit.length > 0 ? this.resolveExplicit() : this.discoverAll();
  }

  private async discoverAll(): Promise<DiscoveryReport> {
    const groupVersions: Array<{ group: string; version: string; preference: number }> = [];
    const core = await this.get<{ versions?: string[] }>('/api');
    for (const [i, v] of (core?.versions ?? []).entries())
      groupVersions.push({ group: '', version: v, preference: i });
    const apis = await this.get<ApiGroupList>('/apis');
    for (const g of apis?.groups ?? []) {
      const preferred = g.preferredVersion?.version;
      const versions = (g.versions ?? []).map((v) => v.version);
      // Preferred first, then the server's own order (which is its priority order).
      const ordered = preferred ? [preferred, ...versions.filter((v) => v !== preferred)] : versions;
      for (const [i, v] of ordered.entries())
        groupVersions.push({ group: g.name, version: v, preference: i });
    }
    const report: DiscoveryReport = { types: [], denied: [], unresolved: [], failed: [], served: [] };
    const lists = await Promise.all(
      groupVersions.map(async (gv) => {
        try {
          return { gv, list: await this.get<ApiResourceList>(groupVersionPath(gv.group, gv.version)) };
        } catch (err) {
          report.failed.push({
            groupVersion: groupVersionId(gv.group, gv.version),
            error: (err as Error).message,
          });
          return { gv, list: undefined };
        }
      }),
    );
    // Per group and resource name, the most preferred version that serves it.
    const chosen = new Map<string, { t: ResourceType; preference: number; verbs: string[] }>();
    const served = new Set<string>();
    for (const { gv, list } of lists) {
      for (const r of list?.resources ?? []) {
        if (r.name.includes('/')) continue;
        if (gv.group !== '') served.add(`${r.name}.${gv.group}`);
        const key = `${gv.group}/${r.name}`;
        const have = chosen.get(key);
        if (have && have.preference <= gv.preference) continue;
        chosen.set(key, {
          t: { group: gv.group, version: gv.version, kind: r.kind, plural: r.name, namespaced: r.namespaced },
          preference: gv.preference,
          verbs: r.verbs ?? [],
        });
      }
    }
    for (const { t, verbs } of chosen.values()) {
      if (!t.namespaced || !REQUIRED_VERBS.every((v) => verbs.includes(v))) continue;
      const reason = this.opts.deny?.(t, false) ?? null;
      if (reason) report.denied.push({ type: t, reason });
      else report.types.push(t);
    }
    report.types.sort((a, b) => resourceTypeId(a).localeCompare(resourceTypeId(b)));
    report.served = [...served].sort();
    return report;
  }

  private async resolveExplicit(): Promise<DiscoveryReport> {
    const report: DiscoveryReport = { types: [], denied: [], unresolved: [], failed: [], served: [] };
    const byGv = new Map<string, ResourceTypeRef[]>();
    for (const e of this.explicit) {
      const id = groupVersionId(e.group, e.version);
      byGv.set(id, [...(byGv.get(id) ?? []), e]);
    }
    await Promise.all(
      [...byGv.values()].map(async (entries) => {
        const { group, version } = entries[0]!;
        let list: ApiResourceList | undefined;
        try {
          list = await this.get<ApiResourceList>(groupVersionPath(group, version));
        } catch (err) {
          if (classifyApiError(err).reason === 'NotFound') {
            for (const entry of entries)
              report.unresolved.push({
                entry,
                message: `${refId(entry)}: ${groupVersionId(group, version)} is not served`,
              });
          } else {
            report.failed.push({
              groupVersion: groupVersionId(group, version),
              error: (err as Error).message,
            });
          }
          return;
        }
        if (group !== '')
          for (const r of list?.resources ?? [])
            if (!r.name.includes('/')) report.served.push(`${r.name}.${group}`);
        for (const entry of entries) {
          const r = (list?.resources ?? []).find(
            (x) => !x.name.includes('/') && x.kind.toLowerCase() === entry.kind.toLowerCase(),
          );
          if (!r) {
            report.unresolved.push({
              entry,
              message: `${refId(entry)}: no kind ${entry.kind} in ${groupVersionId(group, version)}`,
            });
            continue;
          }
          const t: ResourceType = { group, version, kind: r.kind, plural: r.name, namespaced: r.namespaced };
          const missing = REQUIRED_VERBS.filter((v) => !(r.verbs ?? []).includes(v));
          const problem = !r.namespaced
            ? 'is cluster-scoped'
            : missing.length > 0
              ? `does not support ${missing.join(', ')}`
              : this.opts.deny?.(t, true);
          if (problem) report.unresolved.push({ entry, message: `${refId(entry)}: ${problem}` });
          else report.types.push(t);
        }
      }),
    );
    report.types.sort((a, b) => resourceTypeId(a).localeCompare(resourceTypeId(b)));
    report.served = [...new Set(report.served)].sort();
    return report;
  }

  private get<T>(path: string): Promise<T> {
    return this.opts.client.request<T>({ method: 'GET', path, verb: 'get', resource: 'discovery' });
  }
}

function groupVersionPath(group: string, version: string): string {
  return group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
}

function groupVersionId(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

function refId(e: ResourceTypeRef): string {
  return resourceTypeId(e);
}
