import { KubemirrorError } from '../core/errors.js';
import { KUBEMIRROR_FIELD_MANAGER } from '../core/ownership.js';
import type { KubeObject, ResourceType } from '../core/types.js';
import { apiVersionOf } from '../core/types.js';
import { classifyApiError } from './api-errors.js';
import type { KubeClient } from './kube-client.js';
import { collectionPath } from './list-watch.js';

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

/**
 * The one place that writes to the API server. Owns the global write limiter, the field manager, leader
 * gating and error classification: every failure leaves as an `ApiError` with a reason. It never retries a
 * conflict itself: the caller re-plans from the cache. Bodies go out as plain JSON, so fields a typed client
 * model does not know are never dropped (which would make a mirror look edited forever).
 */
export class Writer {
  constructor(
    private readonly client: KubeClient,
    private readonly opts: { limiter: WriteLimiter; mayWrite?: () => boolean },
  ) {}

  create(type: ResourceType, obj: KubeObject, query: Record<string, string> = {}): Promise<KubeObject> {
    const path = collectionPath(type, obj.metadata.namespace);
    return this.call(type, 'create', 'POST', path, withHeader(type, obj), undefined, query);
  }

  /**
   * Server-side dry run of a create: the server validates and admits `obj` but stores nothing. Validation runs
   * before the name is checked (apiserver registry/generic/registry/store.go: BeforeCreate, then storage), so
   * AlreadyExists means "would be accepted once the name is free"; Invalid means it never would.
   */
  async createWouldBeAccepted(type: ResourceType, obj: KubeObject): Promise<void> {
    try {
      await this.create(type, obj, { dryRun: 'All' });
    } catch (err) {
      if (classifyApiError(err).reason !== 'AlreadyExists') throw err;
    }
  }

  /** PUT with the object's resourceVersion: a stale one fails with Conflict. */
  replace(type: ResourceType, obj: KubeObject): Promise<KubeObject> {
    return this.call(type, 'update', 'PUT', objectPath(type, obj.metadata), withHeader(type, obj));
  }

  /**
   * JSON merge patch; include `metadata.resourceVersion` in the patch for optimistic concurrency. `subresource`
   * `status` patches the status subresource (a CRD's status is written there only).
   */
  mergePatch(
    type: ResourceType,
    ref: ObjectRef,
    patch: Record<string, unknown>,
    subresource?: 'status',
  ): Promise<KubeObject> {
    const path = `${objectPath(type, ref)}${subresource ? `/${subresource}` : ''}`;
    return this.call(type, 'patch', 'PATCH', path, patch, 'application/merge-patch+json');
  }

  /**
   * Deletes with a uid precondition, so a different object that took the name meanwhile is never deleted; with
   * `resourceVersion` too, so an object changed since it was judged (e.g. taken over by another governor) answers
   * Conflict instead. NotFound counts as success.
   */
  async delete(
    type: ResourceType,
    ref: ObjectRef & { uid?: string; resourceVersion?: string },
  ): Promise<void> {
    const preconditions = {
      ...(ref.uid ? { uid: ref.uid } : {}),
      ...(ref.resourceVersion ? { resourceVersion: ref.resourceVersion } : {}),
    };
    const body = {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      propagationPolicy: 'Background',
      ...(Object.keys(preconditions).length > 0 ? { preconditions } : {}),
    };
    try {
      await this.call(type, 'delete', 'DELETE', objectPath(type, ref), body);
    } catch (err) {
      if (classifyApiError(err).reason !== 'NotFound') throw err;
    }
  }

  private async call(
    type: ResourceType,
    verb: string,
    method: 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    body: unknown,
    contentType?: string,
    extraQuery: Record<string, string> = {},
  ): Promise<KubeObject> {
    if (this.opts.mayWrite && !this.opts.mayWrite()) throw new NotLeaderError();
    return this.opts.limiter.schedule(async () => {
      if (this.opts.mayWrite && !this.opts.mayWrite()) throw new NotLeaderError();
      try {
        return await this.client.request<KubeObject>({
          method,
          path,
          query: method === 'DELETE' ? undefined : { fieldManager: KUBEMIRROR_FIELD_MANAGER, ...extraQuery },
          body,
          contentType,
          verb,
          resource: type.plural,
        });
      } catch (err) {
        const e = classifyApiError(err);
        // a Secret's refusal can quote its data (SPEC §5): only code, reason and field paths leave here
        throw type.group === '' && type.kind === 'Secret' ? e.withoutValues() : e;
      }
    });
  }
}

export function objectPath(type: ResourceType, ref: { namespace?: string; name: string }): string {
  return `${collectionPath(type, ref.namespace)}/${encodeURIComponent(ref.name)}`;
}

function withHeader(type: ResourceType, obj: KubeObject): KubeObject {
  return { ...obj, apiVersion: apiVersionOf(type), kind: type.kind };
}
