import { type KubeConfig, type KubernetesObject, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import { KubemirrorError } from '../core/errors.js';
import type { KubeObject, ResourceType } from '../core/types.js';
import { apiVersionOf } from '../core/types.js';
import { classifyApiError } from './api-errors.js';

/** Reports every API call: verb (audit style), resource (plural) and HTTP code (0 = no response). */
export type ApiCounter = (verb: string, resource: string, code: number) => void;

export interface WriteLimiter {
  schedule<T>(fn: () => Promise<T>): Promise<T>;
}

export class NotLeaderError extends KubemirrorError {
  constructor() {
    super('NotLeader', 'this replica is not the leader: writes are disabled');
  }
}

export interface ObjectRef {
  namespace: string;
  name: string;
}

export const FIELD_MANAGER = 'kubemirror';

/**
 * The one place that writes to the API server. Owns the global write limiter, the field manager, leader
 * gating and error classification: every failure leaves as an `ApiError` with a reason. It never retries a
 * conflict itself: the caller re-plans from the cache.
 */
export class Writer {
  private readonly api: KubernetesObjectApi;

  constructor(
    kc: KubeConfig,
    private readonly opts: { limiter: WriteLimiter; count?: ApiCounter; mayWrite?: () => boolean },
  ) {
    this.api = KubernetesObjectApi.makeApiClient(kc);
  }

  create(type: ResourceType, obj: KubeObject): Promise<KubeObject> {
    return this.call('create', type, () => this.api.create(header(type, obj), undefined, undefined, FIELD_MANAGER));
  }

  /** PUT with the object's resourceVersion: a stale one fails with Conflict. */
  replace(type: ResourceType, obj: KubeObject): Promise<KubeObject> {
    return this.call('update', type, () => this.api.replace(header(type, obj), undefined, undefined, FIELD_MANAGER));
  }

  /** JSON merge patch; include `metadata.resourceVersion` in the patch for optimistic concurrency. */
  mergePatch(type: ResourceType, ref: ObjectRef, patch: Record<string, unknown>): Promise<KubeObject> {
    const body = {
      ...patch,
      apiVersion: apiVersionOf(type),
      kind: type.kind,
      metadata: { ...((patch.metadata as object) ?? {}), name: ref.name, namespace: ref.namespace },
    };
    return this.call('patch', type, () =>
      this.api.patch(body, undefined, undefined, FIELD_MANAGER, undefined, PatchStrategy.MergePatch),
    );
  }

  /**
   * Deletes with a uid precondition, so a different object that took the name meanwhile is never deleted.
   * NotFound counts as success.
   */
  async delete(type: ResourceType, ref: ObjectRef & { uid?: string }): Promise<void> {
    const spec = { apiVersion: apiVersionOf(type), kind: type.kind, metadata: { name: ref.name, namespace: ref.namespace } };
    const body = ref.uid ? { preconditions: { uid: ref.uid } } : undefined;
    try {
      await this.call('delete', type, () =>
        this.api.delete(spec, undefined, undefined, undefined, undefined, 'Background', body),
      );
    } catch (err) {
      if (classifyApiError(err).reason !== 'NotFound') throw err;
    }
  }

  private async call<T>(verb: string, type: ResourceType, fn: () => Promise<T>): Promise<KubeObject> {
    if (this.opts.mayWrite && !this.opts.mayWrite()) throw new NotLeaderError();
    return this.opts.limiter.schedule(async () => {
      if (this.opts.mayWrite && !this.opts.mayWrite()) throw new NotLeaderError();
      try {
        const result = await fn();
        this.opts.count?.(verb, type.plural, verb === 'create' ? 201 : 200);
        return toPlain(result);
      } catch (err) {
        const classified = classifyApiError(err);
        this.opts.count?.(verb, type.plural, classified.code);
        throw classified;
      }
    });
  }
}

function header(type: ResourceType, obj: KubeObject): KubernetesObject {
  return { ...obj, apiVersion: apiVersionOf(type), kind: type.kind } as unknown as KubernetesObject;
}

/** client-node turns known kinds into typed objects (Dates); the controller works on plain JSON. */
function toPlain(value: unknown): KubeObject {
  return JSON.parse(JSON.stringify(value ?? {})) as KubeObject;
}
