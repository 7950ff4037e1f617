import { type ApiError, apiErrors } from '../api-error.js';
import { BUILTIN_RESOURCES } from '../builtin-resources.js';
import type { ResourceDef } from '../resource-def.js';

/**
 * The apiVersion/kind a body names, checked as the real server's decoding does before anything else:
 * - a built-in kind is decoded by the scheme (runtime/serializer/json + versioning codec): a group/version/kind the
 *   scheme does not know is `no kind "K" is registered for version "g/v"`, another registered kind cannot be
 *   converted into the URL's; both are 400 "K in version "v" cannot be handled as a X" (handlers/rest.go
 *   transformDecodeError). A missing apiVersion or kind is taken from the URL.
 * - a custom resource is unstructured: another apiVersion is a 400 (handlers/create.go), another kind the 422 of
 *   the custom resource validator (`kind: Invalid value: "K": must be X`, named by the body's kind).
 */
export function typeMetaError(
  def: ResourceDef,
  version: string,
  body: Record<string, unknown>,
): ApiError | undefined {
  const sentVersion = typeof body.apiVersion === 'string' ? body.apiVersion : '';
  const sentKind = typeof body.kind === 'string' ? body.kind : '';
  const urlGv = def.group === '' ? version : `${def.group}/${version}`;
  const gv = sentVersion || urlGv;
  const kind = sentKind || def.kind;
  const [group, ver] = gv.includes('/')
    ? [gv.slice(0, gv.indexOf('/')), gv.slice(gv.indexOf('/') + 1)]
    : ['', gv];
  if (def.crdName !== undefined) {
    if (gv !== urlGv)
      return apiErrors.badRequest(
        `the API version in the data (${gv}) does not match the expected API version (${urlGv})`,
      );
    if (kind !== def.kind)
      return apiErrors.invalid(
        def.group,
        kind,
        String((body.metadata as { name?: unknown } | undefined)?.name ?? ''),
        [{ field: 'kind', message: `Invalid value: ${JSON.stringify(kind)}: must be ${def.kind}` }],
      );
    return undefined;
  }
  if (group === def.group && ver === version && kind === def.kind) return undefined;
  const prefix = `${kind} in version ${JSON.stringify(ver)} cannot be handled as a ${def.kind}`;
  const known = BUILTIN_RESOURCES.find(
    (d) => d.group === group && d.versions.includes(ver) && d.kind === kind,
  );
  if (!known)
    return apiErrors.badRequest(
      `${prefix}: no kind ${JSON.stringify(kind)} is registered for version ${JSON.stringify(gv)} in scheme "pkg/runtime/scheme.go:111"`,
    );
  const pkg = (g: string) => (g === '' ? 'core' : g.split('.')[0]!);
  return apiErrors.badRequest(
    `${prefix}: converting (${ver}.${kind}) to (${pkg(def.group)}.${def.kind}): unknown conversion`,
  );
}
