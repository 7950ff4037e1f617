import { randomBytes, randomUUID } from 'node:crypto';
import type { KubeObject } from '../core/types.js';
import { ApiError, apiErrors } from './api-error.js';
import {
  customResourceRules,
  pruneAndDefault,
  reportUnknownFields,
  throwIfInvalidCustomResource,
} from './body-fields.js';
import { crdStatus } from './crd-controller.js';
import {
  customResourceGenerationBumps,
  prepareCustomResourceCreate,
  prepareCustomResourceUpdate,
  pruneCustomResource,
} from './crd-schema.js';
import { applyDefaults } from './defaulting/index.js';
import { clone, deepEqual, isObject, type JsonObject, jsonPatch, mergePatch } from './json-patches.js';
import {
  ApplyBadRequest,
  ApplyConflict,
  applyWithOwnership,
  builtinListKeys,
  conflictStatusParts,
  fieldManagerErrors,
  type ManagedFieldsEntry,
  managerFor,
  recordUpdate,
  schemaListKeys,
} from './managed-fields.js';
import {
  carryAllocated,
  dropTypeDependentFields,
  kindWarnings,
  normalize,
  prepareForCreate,
  specChanged,
  validateCreate,
  validateUpdate,
} from './object-rules.js';
import type { ObjectStore } from './object-store.js';
import { mergePatchedText, sortedKeys } from './patch-rendering.js';
import { groupVersion, type ResourceDef, storageKey } from './resource-registry.js';
import { goListKeys } from './schema/go-list-keys.js';
import { goShaped } from './schema/go-shape.js';
import { fromStorage, toStorage } from './shared-storage.js';
import { StrategicMergeError, strategicMerge } from './strategic-merge.js';
import { checkDecodes, nullEntriesToZero, nullItemsToZero } from './validation/decode.js';
import { dropUnknownFields } from './validation/known-fields.js';
import type { DeleteOptions } from './validation/request-options.js';
import { typeMetaError } from './validation/type-meta.js';
import {
  allowsCreateOnUpdate,
  allowsUnconditionalUpdate,
  errorGroup,
  etcdKey,
  isCrdDef,
  isNamespaceDef,
  namespacePreconditions,
  prepareBuiltinUpdate,
  refuseNamelessService,
  resetStatusOnCreate,
  statusResets,
  timestamp,
} from './write-strategies.js';

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

export interface WriteOptions {
  dryRun?: boolean;
  /** the version of the request URL (decode errors name it); the storage version when absent */
  version?: string;
  fieldManager?: string;
  force?: boolean;
  /** the subresource the request addressed ('status' for /status); the main resource when absent */
  subresource?: string;
  /** the request's User-Agent: the field manager when `fieldManager` is not given */
  userAgent?: string;
  /** `fieldValidation` of the request: unknown fields dropped silently, with a warning, or refused (400) */
  fieldValidation?: FieldValidation;
  /** filled with the warnings the response carries (`Warning: 299 - "..."` headers) */
  warnings?: string[];
  /** set by patch(): the patched object, which a Strict unknown-field error of a custom resource quotes (422) */
  patchedObject?: unknown;
  /** set by patch() for a merge patch: the patched object's JSON as the real server quotes it (patch-rendering.ts) */
  patchedText?: string;
}

export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

/** What DELETE answers: the object when it stays (finalizers), a Success Status when it is gone. */
export type DeleteResult = { gone: false; object: KubeObject } | { gone: true; object: KubeObject };

export interface ResourceServiceHooks {
  /** namespace lookup for create: undefined = does not exist */
  namespace(name: string): KubeObject | undefined;
  /** called after a namespace got its deletionTimestamp */
  namespaceTerminating(name: string): void;
  crdWritten(crd: KubeObject): void;
  crdDeleting(crd: KubeObject): void;
  /** mutating admission of a write (after defaulting, before validation), in place */
  admit?(def: ResourceDef, obj: KubeObject, operation: 'CREATE' | 'UPDATE'): void;
}

/**
 * Create/update/patch/delete with the real API server's semantics (preconditions, no-op updates, generation,
 * finalizers, immutable fields). Used by the HTTP handlers and by in-process seeding alike.
 */
export class ResourceService {
  private ipCounter = 10;
  private nodePortCounter = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly hooks: ResourceServiceHooks,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The stored object shown at the requested version (no conversion: versions share one schema). */
  present(def: ResourceDef, version: string, obj: KubeObject): KubeObject {
    return { ...fromStorage(def, obj), apiVersion: groupVersion(def.group, version), kind: def.kind };
  }

  /** The stored object in the shape of `def` (shared-storage.ts). */
  private load(def: ResourceDef, namespace: string | undefined, name: string): KubeObject | undefined {
    return fromStorage(def, this.store.get(storageKey(def), namespace, name));
  }

  get(def: ResourceDef, namespace: string | undefined, name: string): KubeObject {
    const obj = this.load(def, namespace, name);
    if (!obj) throw apiErrors.notFound(def, name);
    return obj;
  }

  create(
    def: ResourceDef,
    namespace: string | undefined,
    body: unknown,
    opts: WriteOptions = {},
    applied?: ManagedFieldsEntry[],
  ): KubeObject {
    let obj = this.coerceBody(def, body, opts, 'body');
    if (def.namespaced) {
      if (obj.metadata.namespace && namespace && obj.metadata.namespace !== namespace) {
        throw apiErrors.badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      obj.metadata.namespace = namespace ?? obj.metadata.namespace;
    } else delete obj.metadata.namespace;
    const cr = customResourceRules(this.store, def);
    if (cr) {
      pruneAndDefault(def, cr, obj, opts);
      prepareCustomResourceCreate(obj, cr.statusSubresource);
    } else {
      applyDefaults(def, obj);
      resetStatusOnCreate(def, obj);
    }
    // The field manager runs before mutating admission and before the registry allocates (create.go:
    // FieldManager.UpdateNoErrors, then mutatingAdmission.Admit, then r.Create): what a webhook adds or the
    // server allocates is owned by no manager.
    // decoding (Secret stringData folded into data) and defaulting come before the field manager too
    normalize(def, obj);
    // encoded as its Go type, as the real server holds it (zero fields present, empty omitempty ones gone)
    obj = goShaped(def, obj);
    const requestedFields = applied ? undefined : this.managedFieldsAfter(def, undefined, obj, opts);
    // rest.BeforeCreate generates the name after decoding and defaulting, so what depends on the name is no
    // writer's (a Namespace's kubernetes.io/metadata.name label, set by prepareForCreate then)
    if (!obj.metadata.name && typeof obj.metadata.generateName === 'string') {
      obj.metadata.name = obj.metadata.generateName + randomBytes(4).toString('hex').slice(0, 5);
    }
    // rest.FillObjectMetaSystemFields: the uid exists before the strategy's PrepareForCreate (a Job selects by it)
    obj.metadata.uid = randomUUID();
    prepareForCreate(def, obj);
    // the NamespaceLifecycle admission plugin runs before the registry validates
    if (def.namespaced) {
      const ns = this.hooks.namespace(obj.metadata.namespace ?? '');
      if (!ns) throw apiErrors.notFound({ group: '', plural: 'namespaces' }, obj.metadata.namespace ?? '');
      if (ns.metadata.deletionTimestamp) {
        throw apiErrors.forbidden(
          def,
          obj.metadata.name,
          `unable to create new content in namespace ${ns.metadata.name} because it is being terminated`,
        );
      }
    }
    this.hooks.admit?.(def, obj, 'CREATE');
    refuseNamelessService(def, obj, opts.dryRun === true, this.allocator.ip);
    validateCreate(def, obj);
    if (cr) throwIfInvalidCustomResource(def, cr, obj);
    opts.warnings?.push(...kindWarnings(def, obj));
    // etcd3 store.go Create refuses a set (non-zero) resourceVersion before it looks for the key; the
    // error is not an API status, so the client gets a 500 with no reason (responsewriters ErrorToAPIStatus)
    const sentRv = obj.metadata.resourceVersion;
    if (!opts.dryRun && typeof sentRv === 'string' && /^\d+$/.test(sentRv) && !/^0+$/.test(sentRv))
      throw new ApiError(500, '', 'resourceVersion should not be set on objects to be created');
    if (this.store.get(storageKey(def), obj.metadata.namespace, obj.metadata.name))
      throw apiErrors.alreadyExists(def, obj.metadata.name);
    const meta = obj.metadata;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    meta.creationTimestamp = timestamp(this.now());
    if (def.tracksGeneration) meta.generation = 1;
    else delete meta.generation;
    carryAllocated(def, obj, obj, this.allocator);
    if (isCrdDef(def)) crdStatus(obj, timestamp(this.now()));
    // an apply brings the entries its field manager computed (Apply operation); other creates record an Update
    meta.managedFields = applied
      ? (applied as unknown as KubeObject['metadata']['managedFields'])
      : requestedFields;
    if (meta.managedFields?.length === 0) delete meta.managedFields;
    // a dry-run create is never stored, so it has no resourceVersion (etcd3 store.go Create with dryRun)
    if (opts.dryRun) return obj;
    const rv = this.store.nextResourceVersion();
    meta.resourceVersion = String(rv);
    this.store.put('ADDED', storageKey(def), toStorage(def, obj), rv);
    if (isCrdDef(def)) this.hooks.crdWritten(obj);
    return obj;
  }

  /** PUT: with metadata.resourceVersion a precondition (409 when stale), without it unconditional. */
  update(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    body: unknown,
    opts: WriteOptions = {},
  ): KubeObject {
    const next = this.coerceBody(def, body, opts, 'body');
    // rest/update.go: a body without a name cannot say which object it is
    if (!next.metadata.name)
      throw apiErrors.badRequest(
        `the name of the object (${name} based on URL) was undeterminable: name must be provided`,
      );
    if (next.metadata.name !== name) {
      throw apiErrors.badRequest(
        `the name of the object (${next.metadata.name ?? ''}) does not match the name on the URL (${name})`,
      );
    }
    if (def.namespaced && next.metadata.namespace && next.metadata.namespace !== namespace) {
      throw apiErrors.badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    const old = this.load(def, namespace, name);
    if (!old) {
      // store.go Update: the registries that allow create on update (Service, Endpoints, Events, Leases, RBAC)
      // create what a PUT names; the others answer NotFound
      if (!allowsCreateOnUpdate(def) || opts.subresource) throw apiErrors.notFound(def, name);
      const { resourceVersion: _rv, ...metadata } = next.metadata;
      return this.create(def, namespace, { ...next, metadata }, opts);
    }
    // a uid in the body is a precondition (registry/rest/update.go defaultUpdatedObjectInfo.Preconditions),
    // checked by the storage's GuaranteedUpdate before the resourceVersion (storage/interfaces.go Check)
    const uid = next.metadata.uid;
    if (typeof uid === 'string' && uid !== '' && uid !== old.metadata.uid) {
      throw apiErrors.conflict(
        def,
        name,
        `StorageError: invalid object, Code: 4, Key: ${etcdKey(def, old)}, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: ${uid}, UID in object meta: ${old.metadata.uid ?? ''}`,
      );
    }
    // store.go Update: a kind that does not allow unconditional updates needs the resourceVersion in a PUT
    const rv = next.metadata.resourceVersion;
    if ((rv === undefined || rv === '' || rv === '0') && !allowsUnconditionalUpdate(def)) {
      throw apiErrors.invalid(def.group, def.plural, name, [
        { field: 'metadata.resourceVersion', message: 'Invalid value: 0: must be specified for an update' },
      ]);
    }
    return this.commitUpdate(def, old, next, opts);
  }

  patch(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    opts: WriteOptions = {},
  ): KubeObject {
    const old = this.load(def, namespace, name);
    if (type === 'apply') return this.apply(def, namespace, name, old, patch, opts);
    if (!old) throw apiErrors.notFound(def, name);
    if (type !== 'json' && !isObject(patch)) throw apiErrors.badRequest('patch body must be a JSON object');
    const base = clone(old) as unknown as JsonObject;
    let patched: unknown;
    if (type === 'json') patched = jsonPatch(base, patch);
    else if (type === 'merge') patched = mergePatch(base, patch as JsonObject);
    else {
      if (!def.strategicMerge) {
        throw new ApiError(
          415,
          'UnsupportedMediaType',
          'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
        );
      }
      try {
        patched = strategicMerge(base, patch as JsonObject);
      } catch (err) {
        if (!(err instanceof StrategicMergeError)) throw err;
        // handlers/patch.go interpretStrategicMergePatchError
        if (err.kind === 'badRequest') throw apiErrors.badRequest(err.message);
        if (err.kind === 'invalid')
          throw new ApiError(
            422,
            'Invalid',
            `the server rejected our request due to an error in our request: ${err.message}`,
            { causes: [{ message: err.message }] },
          );
        // any other SMP error is a plain Go error: ErrorToAPIStatus makes it a 500 with no reason
        throw new ApiError(500, '', err.message);
      }
    }
    const encoded = def.crdName !== undefined ? sortedKeys(old) : goShaped(def, old);
    const patchOpts: WriteOptions =
      type === 'merge' && isObject(patch)
        ? { ...opts, patchedText: mergePatchedText(encoded as JsonObject, patch as JsonObject) }
        : opts;
    const next = this.coerceBody(def, patched, patchOpts, 'patch');
    // handlers/patch.go: the patched object still names the object of the URL (rest.go checkName)
    if ((next.metadata.name ?? '') !== name)
      throw apiErrors.badRequest(
        `the name of the object (${next.metadata.name ?? ''}) does not match the name on the URL (${name})`,
      );
    // a resourceVersion in the patch is a precondition; the live one carried over is not
    if (next.metadata.resourceVersion === old.metadata.resourceVersion) delete next.metadata.resourceVersion;
    return this.commitUpdate(def, old, next, { ...patchOpts, patchedObject: patched });
  }

  /**
   * DELETE with validated options (validation/request-options.ts). Preconditions are checked as
   * registry/rest/delete.go BeforeDelete words them; with dryRun the answer is what a delete would
   * return, nothing changes.
   */
  delete(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = { dryRun: false, preconditions: {} },
  ): DeleteResult {
    const obj = this.get(def, namespace, name);
    const pre = options.preconditions;
    const byKind = { group: errorGroup(def), plural: def.kind };
    if (isNamespaceDef(def)) namespacePreconditions(pre, obj);
    if (pre.uid !== undefined && pre.uid !== obj.metadata.uid) {
      throw apiErrors.conflict(
        byKind,
        name,
        `the UID in the precondition (${pre.uid}) does not match the UID in record (${obj.metadata.uid ?? ''}). The object might have been deleted and then recreated`,
      );
    }
    if (pre.resourceVersion !== undefined && pre.resourceVersion !== obj.metadata.resourceVersion) {
      throw apiErrors.conflict(
        byKind,
        name,
        `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${obj.metadata.resourceVersion ?? ''}). The object might have been modified`,
      );
    }
    const dry = options.dryRun;
    // a deletion already pending keeps its finalizers: DeleteOptions cannot change them any more
    if (obj.metadata.deletionTimestamp) return { gone: false, object: obj };
    // registry/generic/registry/store.go deletionFinalizersForGarbageCollection, shouldOrphanDependents,
    // shouldDeleteDependents: options first, then the object's own GC finalizers, then the kind's
    // default policy, which is DeleteDependents (Background) for every kind served here (only
    // extensions/v1beta1 and apps/v1beta1|v1beta2 default to orphan, and those are not served).
    // Namespaces (registry/core/namespace/storage/storage.go shouldHaveDeleteDependentsFinalizer)
    // read orphanDependents=false as foreground; the generic store reads it as background.
    const current = obj.metadata.finalizers ?? [];
    // Events have no garbage collection policy (event strategy: rest.Unsupported): never orphan, never foreground
    const gc = !(def.kind === 'Event' && (def.group === '' || def.group === 'events.k8s.io'));
    const policy = options.propagationPolicy;
    const orphan =
      gc &&
      (options.orphanDependents ?? (policy !== undefined ? policy === 'Orphan' : current.includes('orphan')));
    const foreground =
      gc &&
      (options.orphanDependents !== undefined
        ? isNamespaceDef(def) && !options.orphanDependents
        : policy !== undefined
          ? policy === 'Foreground'
          : current.includes('foregroundDeletion'));
    const finalizers = current.filter((f) => f !== 'orphan' && f !== 'foregroundDeletion');
    if (orphan) finalizers.push('orphan');
    if (foreground) finalizers.push('foregroundDeletion');
    if (isNamespaceDef(def)) {
      const next = clone(obj);
      next.metadata.deletionTimestamp = timestamp(this.now());
      if (finalizers.length > 0) next.metadata.finalizers = finalizers;
      else delete next.metadata.finalizers;
      next.status = { phase: 'Terminating' };
      if (dry) return { gone: false, object: next };
      const stored = this.commit(def, next);
      this.hooks.namespaceTerminating(name);
      return { gone: false, object: stored };
    }
    if (finalizers.length > 0) {
      const next = clone(obj);
      next.metadata.finalizers = finalizers;
      // store.go markAsDeleting: generation is bumped when deletion starts
      if ((next.metadata.generation ?? 0) > 0) next.metadata.generation = (next.metadata.generation ?? 0) + 1;
      next.metadata.deletionTimestamp = timestamp(this.now());
      next.metadata.deletionGracePeriodSeconds = 0;
      if (dry) return { gone: false, object: next };
      return { gone: false, object: this.commit(def, next) };
    }
    if (dry) return { gone: true, object: obj };
    if (isCrdDef(def)) this.hooks.crdDeleting(obj);
    return { gone: true, object: this.remove(def, obj) };
  }

  /** Unconditional removal (namespace sweep, CRD cleanup): DELETED event with a new resourceVersion. */
  remove(def: ResourceDef, obj: KubeObject): KubeObject {
    const rv = this.store.nextResourceVersion();
    const final = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } };
    this.store.remove(storageKey(def), toStorage(def, final), rv);
    return final;
  }

  /**
   * Server-side apply (handlers/patch.go applyPatcher, managedfields' versioncheck.go and structuredmerge.go, SMD
   * merge/update.go Apply): the field manager merges the configuration into the live object (or into the kind's
   * zero value when there is none: apply creates), owns exactly the fields of the configuration, removes the
   * fields it applied before and omits now when nobody else owns them, and refuses (409, one cause per field) to
   * change fields other managers own unless `force=true`. The result then takes the path every write takes
   * (decode check, defaulting, admission, validation; dryRun never persists) with the Apply entry already in
   * `managedFields`, so no Update entry is recorded for it.
   */
  private apply(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    old: KubeObject | undefined,
    patch: unknown,
    opts: WriteOptions,
  ): KubeObject {
    // validation.go ValidatePatchOptions → 422 PatchOptions.meta.k8s.io "" is invalid
    const optionErrors = fieldManagerErrors(opts.fieldManager, true);
    if (optionErrors.length > 0) {
      throw apiErrors.invalid(
        'meta.k8s.io',
        'PatchOptions',
        '',
        optionErrors.map((e) => {
          const [field, ...rest] = e.split(': ');
          const message = rest.join(': ');
          const type = message.startsWith('Required value')
            ? 'FieldValueRequired'
            : message.startsWith('Too long')
              ? 'FieldValueTooLong'
              : 'FieldValueInvalid';
          return { field: field!, message, type };
        }),
      );
    }
    if (!isObject(patch)) throw apiErrors.badRequest('apply patch body must be an object');
    const version = opts.version ?? def.versions[0]!;
    // versioncheck.go: the configuration's group/version/kind must be the request's
    const sentGv = typeof patch.apiVersion === 'string' ? patch.apiVersion : '';
    const sentKind = typeof patch.kind === 'string' ? patch.kind : '';
    const [sentGroup, sentVersion] = sentGv.includes('/') ? sentGv.split('/', 2) : ['', sentGv];
    if (sentGroup !== def.group || sentVersion !== version || sentKind !== def.kind)
      throw apiErrors.badRequest(`invalid object type: ${sentGroup}/${sentVersion}, Kind=${sentKind}`);
    const config = clone(patch) as unknown as KubeObject;
    if (!isObject(config.metadata)) config.metadata = { name: '' };
    // handlers/patch.go checkName: the applied object names the object of the URL
    const sentName = config.metadata.name ?? '';
    if (sentName !== name && !(old && sentName === '')) {
      throw apiErrors.badRequest(
        `the name of the object (${sentName}) does not match the name on the URL (${name})`,
      );
    }
    // structuredmerge.go Apply: a configuration field the type does not declare fails the typed conversion with a
    // plain error, which the real server answers as a 500 without reason (kubernetes/kubernetes#122480, #139253)
    const cr = customResourceRules(this.store, def);
    // a custom resource's type is its structural schema (what pruning keeps; list items are named by index here)
    const undeclared = cr
      ? cr.schema
        ? pruneCustomResource(cr.schema, clone(config) as unknown as JsonObject).map((p) => ({
            smdPath: `.${p}`,
          }))
        : []
      : dropUnknownFields(def, clone(config) as unknown as JsonObject);
    if (undeclared.length > 0) {
      const errs = undeclared.map((f) => `${f.smdPath}: field not declared in schema`);
      const gvk = `${def.group}/${version}, Kind=${def.kind}`;
      throw new ApiError(
        500,
        '',
        `failed to create typed patch object (${config.metadata.namespace ?? ''}/${sentName}; ${gvk}): ${errs.length === 1 ? errs[0] : ['errors:', ...errs.map((e) => `  ${e}`)].join('\n')}`,
      );
    }
    let result: { object: KubeObject; managedFields: ManagedFieldsEntry[] };
    try {
      result = applyWithOwnership({
        live: old,
        config,
        force: opts.force === true,
        manager: opts.fieldManager!,
        apiVersion: groupVersion(def.group, version),
        time: timestamp(this.now()),
        listKeys: cr ? schemaListKeys(cr.schema) : (goListKeys(def) ?? builtinListKeys),
        statusSubresource: cr ? cr.statusSubresource : def.statusSubresource,
        ...(opts.subresource === 'status' ? { subresource: 'status', statusResets: statusResets(def) } : {}),
      });
    } catch (err) {
      if (err instanceof ApplyConflict) {
        // errors.NewApplyConflict: reason Conflict, details with the causes only
        const parts = conflictStatusParts(err);
        throw new ApiError(409, 'Conflict', parts.message, { causes: parts.causes });
      }
      if (err instanceof ApplyBadRequest) throw apiErrors.badRequest(err.message);
      throw err;
    }
    if (!old) {
      const created = { ...result.object, metadata: { ...result.object.metadata } };
      delete created.metadata.managedFields;
      return this.create(def, namespace, created, opts, result.managedFields);
    }
    const next = this.coerceBody(def, result.object, opts, 'patch');
    next.metadata.name = name;
    if (next.metadata.resourceVersion === old.metadata.resourceVersion) delete next.metadata.resourceVersion;
    return this.commitUpdate(def, old, next, opts, result.managedFields);
  }

  private commitUpdate(
    def: ResourceDef,
    old: KubeObject,
    sent: KubeObject,
    opts: WriteOptions,
    applied?: ManagedFieldsEntry[],
  ): KubeObject {
    let next = sent;
    const rv = next.metadata.resourceVersion;
    if (rv !== undefined && rv !== '' && rv !== old.metadata.resourceVersion)
      throw apiErrors.conflict(def, old.metadata.name);
    // server-owned metadata is kept from the live object; a changed uid is refused
    // (apimachinery api/validation/objectmeta.go ValidateObjectMetaUpdate: uid is immutable)
    const uid = next.metadata.uid;
    if (typeof uid === 'string' && uid !== '' && uid !== old.metadata.uid) {
      const cause = { field: 'metadata.uid', message: `Invalid value: "${uid}": field is immutable` };
      // a custom resource's validator runs ValidateObjectMetaAccessorUpdate after the common one: two causes
      throw apiErrors.invalid(
        errorGroup(def),
        def.kind,
        old.metadata.name,
        def.crdName ? [cause, cause] : [cause],
      );
    }
    next.metadata.uid = old.metadata.uid;
    next.metadata.creationTimestamp = old.metadata.creationTimestamp;
    next.metadata.namespace = old.metadata.namespace;
    if (!def.namespaced) delete next.metadata.namespace;
    if (old.metadata.deletionTimestamp) {
      next.metadata.deletionTimestamp = old.metadata.deletionTimestamp;
      next.metadata.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
    } else {
      delete next.metadata.deletionTimestamp;
      delete next.metadata.deletionGracePeriodSeconds;
    }
    if (def.tracksGeneration) next.metadata.generation = old.metadata.generation;
    else delete next.metadata.generation;
    // namespace strategy PrepareForUpdate: spec.finalizers only through /finalize, status only through /status
    if (isNamespaceDef(def) && opts.subresource !== 'finalize') next.spec = old.spec;
    if (isNamespaceDef(def) && opts.subresource !== 'status') next.status = old.status;
    const cr = customResourceRules(this.store, def);
    if (cr) pruneAndDefault(def, cr, next, opts);
    else applyDefaults(def, next);
    if (cr && def.statusSubresource) {
      next = prepareCustomResourceUpdate(old, next, {
        statusSubresource: true,
        target: opts.subresource === 'status' ? 'status' : 'main',
      });
    } else if (def.statusSubresource && !isNamespaceDef(def) && !isCrdDef(def)) {
      prepareBuiltinUpdate(def, old, next, opts.subresource === 'status');
    }
    dropTypeDependentFields(def, old, next);
    // as on create: the writer's fields are those of its request, before admission and allocation (update.go)
    normalize(def, next);
    next = goShaped(def, next);
    const requestedFields = applied
      ? undefined
      : this.managedFieldsAfter(
          def,
          old,
          { ...next, metadata: { ...next.metadata, managedFields: next.metadata.managedFields } },
          opts,
        );
    this.hooks.admit?.(def, next, 'UPDATE');
    carryAllocated(def, old, next, this.allocator);
    if (isCrdDef(def)) crdStatus(next, timestamp(this.now()));
    validateUpdate(def, old, next, opts.subresource);
    if (cr) throwIfInvalidCustomResource(def, cr, next);
    opts.warnings?.push(...kindWarnings(def, next));
    next.metadata.resourceVersion = old.metadata.resourceVersion;
    if (applied) {
      // an apply's entries come from its field manager; a second manager applying the values already there
      // changes only managedFields, and that is a change (a new resourceVersion), as on a real server
      next.metadata.managedFields = applied as unknown as KubeObject['metadata']['managedFields'];
      if (applied.length === 0) delete next.metadata.managedFields;
      // a change of managedFields timestamps alone is no change (IgnoreManagedFieldsTimestampsTransformer): an
      // apply repeated in a later second stores nothing
      if (deepEqual(withoutFieldTimes(next), withoutFieldTimes(old))) return old;
    } else {
      // a write that changes nothing else changes no managedFields either: the stored object stays as it is
      next.metadata.managedFields = old.metadata.managedFields;
      if (deepEqual(next, old)) return old;
      next.metadata.managedFields = requestedFields;
    }
    // a /status write never bumps; a custom resource without status subresource bumps on a status change too
    const bumps =
      opts.subresource !== 'status' &&
      ((cr && !cr.statusSubresource ? customResourceGenerationBumps(old, next) : specChanged(old, next)) ||
        // the EndpointSlice strategy counts a label change as a change of the slice
        (def.group === 'discovery.k8s.io' &&
          !deepEqual(old.metadata.labels ?? {}, next.metadata.labels ?? {})));
    if (def.tracksGeneration && bumps) next.metadata.generation = (old.metadata.generation ?? 0) + 1;
    if (opts.dryRun) return next;
    if (
      next.metadata.deletionTimestamp &&
      (next.metadata.finalizers ?? []).length === 0 &&
      !isNamespaceDef(def)
    ) {
      if (isCrdDef(def)) this.hooks.crdDeleting(next);
      // the update that removed the last finalizer answers the object as it was before it went (store.go
      // deleteWithoutFinalizers hands back the last stored state), not the deletion's resourceVersion
      this.remove(def, next);
      return { ...next, metadata: { ...next.metadata, resourceVersion: old.metadata.resourceVersion } };
    }
    const stored = this.commit(def, next);
    if (isCrdDef(def)) this.hooks.crdWritten(stored);
    if (isNamespaceDef(def) && stored.metadata.deletionTimestamp)
      this.hooks.namespaceTerminating(stored.metadata.name);
    return stored;
  }

  private commit(def: ResourceDef, next: KubeObject): KubeObject {
    const rv = this.store.nextResourceVersion();
    next.metadata.resourceVersion = String(rv);
    this.store.put('MODIFIED', storageKey(def), toStorage(def, next), rv);
    return next;
  }

  /**
   * Body → a fresh object with apiVersion/kind of the storage version and a metadata map. A body that does
   * not decode into the kind's Go type is a 400 (create/update); a patch result that does not is the 422
   * of handlers/patch.go (`patch: Invalid value: "<patched JSON>": <decode error>`, no kind, no name).
   */
  private coerceBody(
    def: ResourceDef,
    body: unknown,
    opts: WriteOptions,
    from: 'body' | 'patch',
  ): KubeObject {
    if (!isObject(body)) throw apiErrors.badRequest('the request body must be a JSON object');
    if (from === 'body') {
      const typeError = typeMetaError(def, opts.version ?? def.versions[0]!, body);
      if (typeError) throw typeError;
    }
    try {
      checkDecodes(def, opts.version ?? def.versions[0]!, body);
    } catch (err) {
      if (from === 'body' || !(err instanceof ApiError)) throw err;
      const decodeError = err.message.replace(/^.*? cannot be handled as a \S+: /, '');
      throw apiErrors.invalid('', '', '', [
        {
          field: 'patch',
          message: `Invalid value: ${JSON.stringify(opts.patchedText ?? JSON.stringify(body))}: ${decodeError}`,
        },
      ]);
    }
    for (const field of ['apiVersion', 'kind'] as const) {
      const v = body[field];
      if (v !== undefined && v !== null && typeof v !== 'string') {
        const version = opts.version ?? def.versions[0]!;
        const got = Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : typeof v;
        throw apiErrors.badRequest(
          `${def.kind} in version "${version}" cannot be handled as a ${def.kind}: json: cannot unmarshal ${got} into Go struct field .${field} of type string`,
        );
      }
    }
    const obj = clone(body) as unknown as KubeObject;
    reportUnknownFields(def, obj, body, opts, from);
    if (obj.kind !== undefined && obj.kind !== def.kind) {
      throw apiErrors.badRequest(
        `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${groupVersion(def.group, def.versions[0]!)}) or kind ${String(obj.kind)} is not ${def.kind}`,
      );
    }
    if (!isObject(obj.metadata)) obj.metadata = { name: '' };
    nullEntriesToZero(obj.metadata.labels);
    nullEntriesToZero(obj.metadata.annotations);
    if (def.crdName === undefined) nullItemsToZero(obj);
    if (def.crdName === undefined && (def.kind === 'ConfigMap' || def.kind === 'Secret')) {
      nullEntriesToZero(def.kind === 'ConfigMap' ? obj.data : obj.stringData);
    }
    obj.apiVersion = groupVersion(def.group, def.versions[0]!);
    obj.kind = def.kind;
    delete obj.metadata.selfLink;
    return obj;
  }

  /**
   * `metadata.managedFields` after an Update-operation write (create, PUT, merge/JSON/strategic patch): the
   * fields this write changed move to its manager (fieldManager, else the User-Agent's product; in-process
   * writes of the sandbox itself are `kube-apiserver`'s). managed-fields.ts follows the real field manager.
   */
  private managedFieldsAfter(
    def: ResourceDef,
    old: KubeObject | undefined,
    next: KubeObject,
    opts: WriteOptions,
  ): KubeObject['metadata']['managedFields'] {
    const manager = managerFor(opts.fieldManager, opts.userAgent ?? '') || 'kube-apiserver';
    const cr = customResourceRules(this.store, def);
    return recordUpdate({
      listKeys: cr ? schemaListKeys(cr.schema) : (goListKeys(def) ?? builtinListKeys),
      old,
      next,
      manager,
      apiVersion: groupVersion(def.group, opts.version ?? def.versions[0]!),
      time: timestamp(this.now()),
      statusSubresource: def.statusSubresource,
      ...(opts.subresource === 'status' ? { subresource: 'status', statusResets: statusResets(def) } : {}),
      ...(opts.subresource === 'scale' ? { subresource: 'scale' } : {}),
    }) as unknown as KubeObject['metadata']['managedFields'];
  }

  /** service cluster IPs from 10.96.0.0/16 and node ports from 30000-32767, in turn (the real allocators pick at random) */
  private readonly allocator = {
    ip: (): string => {
      this.ipCounter += 1;
      return `10.96.${Math.floor(this.ipCounter / 250) % 250}.${(this.ipCounter % 250) + 1}`;
    },
    nodePort: (): number => {
      this.nodePortCounter = (this.nodePortCounter + 7919) % 2768;
      return 30000 + this.nodePortCounter;
    },
  };
}

/** `obj` with the `time` of each managedFields entry left out, to tell a real change from a re-stamped one */
function withoutFieldTimes(obj: KubeObject): KubeObject {
  const entries = obj.metadata.managedFields as Array<Record<string, unknown>> | undefined;
  if (!entries) return obj;
  return {
    ...obj,
    metadata: {
      ...obj.metadata,
      managedFields: entries.map(({ time: _t, ...rest }) => rest) as KubeObject['metadata']['managedFields'],
    },
  };
}
