import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../core/types.js';
import { ApiError, apiErrors } from './api-error.js';
import { answerInYaml, decodeObjectBody, decodePatchBody, readBody, sendJson } from './body-codec.js';
import { listObjects } from './list-objects.js';
import type { ObjectStore } from './object-store.js';
import {
  type ConversionTarget,
  negotiateConversion,
  negotiateMediaType,
  type ResourceRequest,
} from './request-info.js';
import { groupVersion, type ResourceDef, storageKey } from './resource-registry.js';
import type { ResourceService, WriteOptions } from './resource-service.js';
import { serveScale } from './scale-subresource.js';
import { objectFilter } from './selectors.js';
import { type IncludeObject, toTable } from './table.js';
import { parseDeleteOptions, parseListOptions, parseWriteOptions } from './validation/request-options.js';
import { serveWatch, type WatchHub } from './watch-stream.js';

export interface ResourceHandlerDeps {
  store: ObjectStore;
  service: ResourceService;
  hub: WatchHub;
  bookmarkIntervalMs: number;
  now: () => Date;
}

/** Go's %T of the object the real server's storage hands to the transform: the internal type, or unstructured. */
function storageType(def: ResourceDef, list: boolean): string {
  const suffix = list ? 'List' : '';
  if (def.crdName) return `*unstructured.Unstructured${suffix}`;
  // core and events.k8s.io (which shares core's Event storage) are package `core`; others their group's first label
  const pkg = def.group === '' || def.group === 'events.k8s.io' ? 'core' : def.group.split('.')[0];
  return `*${pkg}.${def.kind}${suffix}`;
}

/**
 * One object as PartialObjectMetadata (handlers/response.go asPartialObjectMetadata): all of its metadata, with
 * the asked-for meta.k8s.io version; a PartialObjectMetadataList target on a single object is 406.
 */
function partialMetadata(def: ResourceDef, o: KubeObject, target: ConversionTarget): object {
  if (target.kind === 'PartialObjectMetadataList') {
    // the custom resource handler's converter fails on its own unstructured object: a 500 without reason
    if (def.crdName !== undefined) throw new ApiError(500, '', 'content is not a list');
    throw new ApiError(
      406,
      'NotAcceptable',
      `you requested PartialObjectMetadataList, but the requested object is not a list (${storageType(def, false)})`,
    );
  }
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${target.version}`, metadata: o.metadata };
}

/**
 * A list as PartialObjectMetadataList (handlers/response.go asPartialObjectMetadataList): every item a
 * PartialObjectMetadata of the same version; the Go list starts nil, so no items encode as `"items": null`.
 * A PartialObjectMetadata target on a list is 406.
 */
function partialMetadataList(
  def: ResourceDef,
  items: KubeObject[],
  meta: object,
  target: ConversionTarget,
): object {
  if (target.kind === 'PartialObjectMetadata') {
    throw new ApiError(
      406,
      'NotAcceptable',
      `you requested PartialObjectMetadata, but the requested object is a list (${storageType(def, true)})`,
    );
  }
  const apiVersion = `meta.k8s.io/${target.version}`;
  return {
    kind: 'PartialObjectMetadataList',
    apiVersion,
    metadata: meta,
    items:
      items.length === 0
        ? null
        : items.map((o) => ({ kind: 'PartialObjectMetadata', apiVersion, metadata: o.metadata })),
  };
}

/**
 * apimachinery util/net/http.go NewWarningHeader + makeQuotedString: `299 - "<text>"` with only `"` and `\` escaped,
 * everything else as it is; Go writes the UTF-8 bytes of the value raw (CR and LF become spaces, net/http
 * headerNewlineToSpace), so the value is handed to Node as those bytes (latin1), other control characters as spaces.
 */
function warningHeader(text: string): string {
  const quoted = `"${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced
  const value = `299 - ${quoted}`.replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, ' ');
  return Buffer.from(value, 'utf8').toString('latin1');
}

/** the CustomResourceDefinition that serves a custom resource; undefined for built-ins */
function customResourceDefinition(store: ObjectStore, def: ResourceDef): KubeObject | undefined {
  if (def.crdName === undefined) return undefined;
  return store.get('apiextensions.k8s.io/customresourcedefinitions', undefined, def.crdName);
}

const RETURNS_DELETED_OBJECT = new Set(['/Service', '/ServiceAccount', '/Pod', '/Namespace']);

/** Serves one request on a resource (verb already known); throws ApiError for failures. */
export async function handleResource(
  req: IncomingMessage,
  res: ServerResponse,
  r: ResourceRequest,
  def: ResourceDef,
  query: URLSearchParams,
  deps: ResourceHandlerDeps,
): Promise<void> {
  const { service } = deps;
  const accept = req.headers.accept ?? '';
  const ns = def.namespaced ? r.namespace : undefined;
  if (!def.namespaced && r.namespace !== undefined) throw apiErrors.pathNotFound();
  if (def.namespaced && ns === undefined && !['list', 'watch'].includes(r.verb))
    throw apiErrors.pathNotFound();
  const media = negotiateMediaType(accept, { custom: def.crdName !== undefined, watch: r.verb === 'watch' });
  if (media === 'yaml') answerInYaml(res);
  const present = (o: KubeObject) => service.present(def, r.version, o);
  // a built-in list's items are typed and carry no apiVersion/kind of their own (their Go list type omits them);
  // a custom resource list is unstructured and every item keeps its own
  const listItem = (o: KubeObject): unknown => {
    const shown = present(o);
    if (def.crdName !== undefined) return shown;
    const { apiVersion: _a, kind: _k, ...rest } = shown;
    return rest;
  };
  const target = negotiateConversion(accept);
  const include = (query.get('includeObject') ?? 'Metadata') as IncludeObject;
  // a custom resource's table shows the printer columns of the version asked for, read from its CRD
  const tableOf = { include, version: r.version, crd: customResourceDefinition(deps.store, def) };
  const encodeOne = (o: KubeObject): unknown => {
    if (target?.kind === 'Table')
      return toTable(def, [present(o)], {
        ...tableOf,
        resourceVersion: o.metadata.resourceVersion ?? '',
        now: deps.now(),
      });
    if (target) return partialMetadata(def, o, target);
    return present(o);
  };
  // watch events go through the same transform; PartialObjectMetadataList fails it for every object, and
  // kube-apiserver sends no event at all (the watch stays open and times out empty); a Table carries its column
  // definitions in the first event only (later ones null)
  let tableColumnsSent = false;
  const encodeEvent = (o: KubeObject): unknown => {
    if (target?.kind === 'PartialObjectMetadataList') return undefined;
    const out = encodeOne(o);
    if (target?.kind !== 'Table') return out;
    if (!tableColumnsSent) {
      tableColumnsSent = true;
      return out;
    }
    return { ...(out as object), columnDefinitions: null };
  };
  const writeOptions = (verb: 'create' | 'update' | 'patch'): WriteOptions => {
    const isApply =
      verb === 'patch' && /^application\/apply-patch\+yaml/i.test(req.headers['content-type'] ?? '');
    const parsed = parseWriteOptions(verb, query, isApply);
    return {
      dryRun: parsed.dryRun,
      version: r.version,
      ...(query.get('fieldManager') ? { fieldManager: query.get('fieldManager')! } : {}),
      force: query.get('force') === 'true',
      ...(r.subresource ? { subresource: r.subresource } : {}),
      userAgent: req.headers['user-agent'] ?? '',
      fieldValidation: parsed.fieldValidation,
      warnings: [],
    };
  };
  /** the response's `Warning` headers (RFC 7234 style, code 299, as the apiserver's warning recorder writes) */
  const warn = (opts: WriteOptions) => {
    if (opts.warnings?.length) res.setHeader('Warning', opts.warnings.map(warningHeader));
  };

  if (r.subresource === 'scale') {
    if (r.verb === 'get')
      return sendJson(
        res,
        200,
        serveScale(service, def, ns, r.name!, { verb: 'get' }, writeOptions('update')),
      );
    if (r.verb === 'update') {
      const body = decodeObjectBody(req, await readBody(req), { kind: 'Scale' });
      const opts = writeOptions('update');
      const answer = serveScale(service, def, ns, r.name!, { verb: 'update', body }, opts);
      warn(opts);
      return sendJson(res, 200, answer);
    }
    if (r.verb === 'patch') {
      const opts = writeOptions('patch');
      const { type, patch } = decodePatchBody(req, await readBody(req), opts.fieldValidation);
      const answer = serveScale(service, def, ns, r.name!, { verb: 'patch', type, patch }, opts);
      warn(opts);
      return sendJson(res, 200, answer);
    }
    throw apiErrors.methodNotAllowed();
  }
  switch (r.verb) {
    case 'get':
      return sendJson(res, 200, encodeOne(service.get(def, ns, r.name!)));
    case 'list':
    case 'watch': {
      let fieldSelector = query.get('fieldSelector');
      if (r.name) fieldSelector = [fieldSelector, `metadata.name=${r.name}`].filter(Boolean).join(',');
      const filter = objectFilter(query.get('labelSelector'), fieldSelector, def);
      const list = parseListOptions(query, r.verb === 'watch');
      if (r.verb === 'watch') {
        return serveWatch(
          req,
          res,
          {
            def,
            version: r.version,
            namespace: ns,
            filter,
            resourceVersion: list.resourceVersion,
            allowBookmarks: list.allowWatchBookmarks,
            sendInitialEvents: list.sendInitialEvents === true,
            noInitialEvents: list.sendInitialEvents === false,
            timeoutSeconds: list.timeoutSeconds,
            encode: encodeEvent,
            // handlers/response.go watchEmbeddedEncoder transforms bookmarks like any event object
            ...(target?.kind === 'PartialObjectMetadata'
              ? { encodeBookmark: (o: KubeObject) => partialMetadata(def, o, target) }
              : target?.kind === 'PartialObjectMetadataList'
                ? { encodeBookmark: () => undefined }
                : {}),
          },
          deps,
        );
      }
      const page = listObjects(deps.store, def, ns, filter, {
        countRemaining: !query.get('labelSelector') && !fieldSelector,
        ...(list.limit ? { limit: list.limit } : {}),
        ...(list.continue ? { continue: list.continue } : {}),
        ...(list.resourceVersion ? { resourceVersion: list.resourceVersion } : {}),
        ...(list.resourceVersionMatch ? { resourceVersionMatch: list.resourceVersionMatch } : {}),
      });
      if (target?.kind === 'Table') {
        return sendJson(
          res,
          200,
          toTable(def, page.items.map(present), {
            ...tableOf,
            resourceVersion: page.resourceVersion,
            ...(page.continue ? { continue: page.continue } : {}),
            ...(page.remainingItemCount !== undefined ? { remainingItemCount: page.remainingItemCount } : {}),
            now: deps.now(),
          }),
        );
      }
      const meta = {
        resourceVersion: page.resourceVersion,
        // an unstructured (custom resource) list always writes its continue token, "" on the last page
        ...(page.continue
          ? { continue: page.continue }
          : def.crdName !== undefined && !target
            ? { continue: '' }
            : {}),
        ...(page.remainingItemCount !== undefined ? { remainingItemCount: page.remainingItemCount } : {}),
      };
      if (target) return sendJson(res, 200, partialMetadataList(def, page.items, meta, target));
      return sendJson(res, 200, {
        kind: def.listKind,
        apiVersion: groupVersion(def.group, r.version),
        metadata: meta,
        items: page.items.map(listItem),
      });
    }
    case 'create': {
      const body = decodeObjectBody(req, await readBody(req), { kind: def.kind });
      const opts = writeOptions('create');
      const created = service.create(def, ns, body, opts);
      warn(opts);
      return sendJson(res, 201, encodeOne(created));
    }
    case 'update': {
      const body = decodeObjectBody(req, await readBody(req), { kind: def.kind });
      const opts = writeOptions('update');
      // a PUT that created the object (create on update) is 201
      const existed = deps.store.get(storageKey(def), ns, r.name!) !== undefined;
      const updated = service.update(def, ns, r.name!, body, opts);
      warn(opts);
      return sendJson(res, existed ? 200 : 201, encodeOne(updated));
    }
    case 'patch': {
      const opts = writeOptions('patch');
      const { type, patch } = decodePatchBody(
        req,
        await readBody(req),
        opts.fieldValidation,
        def.crdName !== undefined,
      );
      const existed = type !== 'apply' || deps.store.get(storageKey(def), ns, r.name!) !== undefined;
      const patched = service.patch(def, ns, r.name!, type, patch, opts);
      warn(opts);
      return sendJson(res, existed ? 200 : 201, encodeOne(patched));
    }
    case 'delete': {
      const options = parseDeleteOptions(decodeObjectBody(req, await readBody(req)), query);
      const result = service.delete(def, ns, r.name!, options);
      // handlers/delete.go: 202 when the object stays and cascading deletion was asked for with
      // orphanDependents=false (kept for old clients; other not-yet-deleted answers stay 200)
      if (!result.gone)
        return sendJson(res, options.orphanDependents === false ? 202 : 200, encodeOne(result.object));
      // registries with ReturnDeletedObject (services, serviceaccounts, pods, namespaces) answer the object as deleted
      if (RETURNS_DELETED_OBJECT.has(`${def.group}/${def.kind}`))
        return sendJson(res, 200, encodeOne(result.object));
      return sendJson(res, 200, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: {
          name: r.name,
          ...(def.group ? { group: def.group } : {}),
          kind: def.plural,
          uid: result.object.metadata.uid,
        },
      });
    }
    case 'deletecollection': {
      const options = parseDeleteOptions(decodeObjectBody(req, await readBody(req)), query);
      const filter = objectFilter(query.get('labelSelector'), query.get('fieldSelector'), def);
      const victims = listObjects(deps.store, def, ns, filter, {}).items;
      // store.go DeleteCollection: the list it deleted, each item as it was listed
      const items = victims.map((o) => {
        const result = service.delete(def, o.metadata.namespace, o.metadata.name, {
          ...options,
          preconditions: {},
        });
        return listItem(result.gone ? o : result.object);
      });
      return sendJson(res, 200, {
        kind: def.listKind,
        apiVersion: groupVersion(def.group, r.version),
        metadata: {
          resourceVersion: String(deps.store.resourceVersion),
          ...(def.crdName !== undefined ? { continue: '' } : {}),
        },
        items,
      });
    }
    default:
      throw apiErrors.methodNotAllowed();
  }
}
