/**
 * Writes src/sandbox/schema/go-types.generated.ts: the Go types of the built-in kinds the sandbox serves, read from
 * the k8s.io/api (and apimachinery, apiextensions-apiserver) sources of the pinned Kubernetes release in the Go
 * module cache, which building the test control plane fills (test/control-plane/build.ts). Per struct field: the
 * JSON name and omitempty, pointer or not, the protobuf field number, and the list/patch markers
 * (+listType, +listMapKey, patchStrategy, patchMergeKey, +default).
 *
 *   node_modules/.bin/vite-node test/fidelity/generate-go-types.ts
 *
 * Run it again when the pinned release changes; the sandbox reads only the generated file.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { KUBERNETES_VERSION } from '../control-plane/build.js';

const STAGING = KUBERNETES_VERSION.replace(/^v1\./, 'v0.');
const modCache = execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).trim();
const k8s = (mod: string) => join(modCache, 'k8s.io', `${mod}@${STAGING}`);

/** short package name → (import path, folder) */
const PACKAGES: Record<string, [string, string]> = {};
for (const p of [
  'core/v1',
  'apps/v1',
  'batch/v1',
  'policy/v1',
  'networking/v1',
  'rbac/v1',
  'discovery/v1',
  'coordination/v1',
  'events/v1',
  'autoscaling/v2',
  'scheduling/v1',
  'admissionregistration/v1',
]) {
  PACKAGES[p.replace('/', '.')] = [`k8s.io/api/${p}`, join(k8s('api'), p)];
}
PACKAGES['meta.v1'] = ['k8s.io/apimachinery/pkg/apis/meta/v1', join(k8s('apimachinery'), 'pkg/apis/meta/v1')];
PACKAGES['apiextensions.v1'] = [
  'k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1',
  join(k8s('apiextensions-apiserver'), 'pkg/apis/apiextensions/v1'),
];
const SHORT_BY_IMPORT = new Map(Object.entries(PACKAGES).map(([short, [imp]]) => [imp, short]));

/** types with their own JSON and protobuf forms: terminal in the schema */
const SPECIAL: Record<string, string> = {
  'meta.v1.Time': 'time',
  'meta.v1.MicroTime': 'microtime',
  'meta.v1.Duration': 'duration',
  'meta.v1.FieldsV1': 'fieldsv1',
  'k8s.io/apimachinery/pkg/util/intstr.IntOrString': 'intstr',
  'k8s.io/apimachinery/pkg/api/resource.Quantity': 'quantity',
  'k8s.io/apimachinery/pkg/runtime.RawExtension': 'raw',
  'k8s.io/apimachinery/pkg/types.UID': 'string',
  'apiextensions.v1.JSONSchemaProps': 'raw',
  'apiextensions.v1.JSON': 'raw',
};
const SCALARS: Record<string, string> = {
  string: 'string',
  bool: 'bool',
  int: 'int64',
  int32: 'int32',
  int64: 'int64',
  uint8: 'int32',
  uint16: 'int32',
  uint32: 'int64',
  uint64: 'int64',
  float32: 'float64',
  float64: 'float64',
  byte: 'int32',
};

/** the kinds the sandbox serves (builtin-resources.ts) and the types protobuf bodies may carry */
const ROOTS: Record<string, string> = {
  '/ConfigMap': 'core.v1.ConfigMap',
  '/Secret': 'core.v1.Secret',
  '/Service': 'core.v1.Service',
  '/ServiceAccount': 'core.v1.ServiceAccount',
  '/Event': 'core.v1.Event',
  '/Pod': 'core.v1.Pod',
  '/Endpoints': 'core.v1.Endpoints',
  '/Namespace': 'core.v1.Namespace',
  '/ResourceQuota': 'core.v1.ResourceQuota',
  'events.k8s.io/Event': 'events.v1.Event',
  'coordination.k8s.io/Lease': 'coordination.v1.Lease',
  'apps/Deployment': 'apps.v1.Deployment',
  'apps/StatefulSet': 'apps.v1.StatefulSet',
  'apps/DaemonSet': 'apps.v1.DaemonSet',
  'apps/ReplicaSet': 'apps.v1.ReplicaSet',
  'apps/ControllerRevision': 'apps.v1.ControllerRevision',
  'networking.k8s.io/Ingress': 'networking.v1.Ingress',
  'networking.k8s.io/IngressClass': 'networking.v1.IngressClass',
  'networking.k8s.io/NetworkPolicy': 'networking.v1.NetworkPolicy',
  'rbac.authorization.k8s.io/Role': 'rbac.v1.Role',
  'rbac.authorization.k8s.io/RoleBinding': 'rbac.v1.RoleBinding',
  'rbac.authorization.k8s.io/ClusterRole': 'rbac.v1.ClusterRole',
  'rbac.authorization.k8s.io/ClusterRoleBinding': 'rbac.v1.ClusterRoleBinding',
  'policy/PodDisruptionBudget': 'policy.v1.PodDisruptionBudget',
  'batch/Job': 'batch.v1.Job',
  'batch/CronJob': 'batch.v1.CronJob',
  'discovery.k8s.io/EndpointSlice': 'discovery.v1.EndpointSlice',
  'autoscaling/HorizontalPodAutoscaler': 'autoscaling.v2.HorizontalPodAutoscaler',
  'scheduling.k8s.io/PriorityClass': 'scheduling.v1.PriorityClass',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration':
    'admissionregistration.v1.ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration':
    'admissionregistration.v1.MutatingWebhookConfiguration',
  'apiextensions.k8s.io/CustomResourceDefinition': 'apiextensions.v1.CustomResourceDefinition',
  'meta.k8s.io/DeleteOptions': 'meta.v1.DeleteOptions',
};

interface RawField {
  goName: string;
  goType: string;
  json: string;
  omitempty: boolean;
  omitzero: boolean;
  inline: boolean;
  proto: number;
  markers: Record<string, string[]>;
  patchStrategy?: string;
  patchMergeKey?: string;
}

interface Pkg {
  short: string;
  structs: Map<string, RawField[]>;
  named: Map<string, string>;
  /** per struct: the imports of the file that declares it */
  imports: Map<string, Map<string, string>>;
}

/** structs marked +structType=atomic: owned and replaced as a whole */
const ATOMIC = new Set<string>();

function tag(tags: string, key: string): string | undefined {
  return new RegExp(`${key}:"([^"]*)"`).exec(tags)?.[1];
}

function parsePackage(short: string, dir: string): Pkg {
  const pkg: Pkg = { short, structs: new Map(), named: new Map(), imports: new Map() };
  for (const file of readdirSync(dir)) {
    if (
      !file.endsWith('.go') ||
      file.endsWith('_test.go') ||
      file.startsWith('zz_') ||
      file.startsWith('generated')
    )
      continue;
    const text = readFileSync(join(dir, file), 'utf8');
    const imports = new Map<string, string>();
    const block = /^import \(([\s\S]*?)^\)/m.exec(text)?.[1] ?? '';
    const single = [...text.matchAll(/^import (\w+ )?"([^"]+)"/gm)].map((m) => `${m[1] ?? ''}"${m[2]}"`);
    for (const line of [...block.split('\n'), ...single]) {
      const m = /^\s*(\w+)?\s*"([^"]+)"/.exec(line);
      if (!m) continue;
      imports.set(m[1] ?? m[2]!.split('/').pop()!, m[2]!);
    }
    const lines = text.split('\n');
    let typeMarkers: string[] = [];
    for (let i = 0; i < lines.length; i++) {
      // the markers of a type are in the comment block right above its declaration
      const comment = /^\/\/\s*\+([\w.-]+=?.*)$/.exec(lines[i]!);
      if (comment) typeMarkers.push(comment[1]!.trim());
      else if (!lines[i]!.startsWith('//')) {
        const declared = /^type (\w+) struct/.exec(lines[i]!);
        if (declared && typeMarkers.includes('structType=atomic')) ATOMIC.add(`${short}.${declared[1]}`);
        typeMarkers = [];
      }
      const named = /^type (\w+) ([^{]+)$/.exec(lines[i]!);
      if (named && !named[2]!.startsWith('struct') && !named[2]!.startsWith('interface')) {
        pkg.named.set(named[1]!, named[2]!.trim().replace(/\s*\/\/.*$/, ''));
        pkg.imports.set(named[1]!, imports);
        continue;
      }
      const empty = /^type (\w+) struct ?\{\}/.exec(lines[i]!);
      if (empty) {
        pkg.structs.set(empty[1]!, []);
        pkg.imports.set(empty[1]!, imports);
        continue;
      }
      const st = /^type (\w+) struct \{\s*$/.exec(lines[i]!);
      if (!st) continue;
      const fields: RawField[] = [];
      let markers: Record<string, string[]> = {};
      let depth = 1;
      for (i++; i < lines.length && depth > 0; i++) {
        const line = lines[i]!;
        if (/^\s*\/\//.test(line)) {
          const m = /^\s*\/\/\s*\+([\w.-]+)(?:=(.*))?$/.exec(line);
          if (m) {
            markers[m[1]!] ??= [];
            markers[m[1]!]!.push((m[2] ?? '').trim());
          }
          continue;
        }
        if (line.includes('{')) depth++;
        if (line.includes('}')) depth--;
        if (depth <= 0) break;
        const f = /^\s*(?:(\w+)\s+)?([\w.*[\]]+)\s+`([^`]*)`/.exec(line);
        if (!f) {
          if (line.trim() === '') markers = {};
          continue;
        }
        const jsonTag = tag(f[3]!, 'json');
        if (jsonTag === undefined || jsonTag === '-') {
          markers = {};
          continue;
        }
        const [json = '', ...opts] = jsonTag.split(',');
        const proto = tag(f[3]!, 'protobuf');
        fields.push({
          goName: f[1] ?? f[2]!.replace(/^\*/, '').split('.').pop()!,
          goType: f[2]!,
          json,
          omitempty: opts.includes('omitempty'),
          omitzero: opts.includes('omitzero'),
          // an embedded struct without a JSON name is flattened by encoding/json, `,inline` or not
          inline: opts.includes('inline') || (f[1] === undefined && json === ''),
          proto: proto ? Number(proto.split(',')[1]) : 0,
          markers,
          ...(tag(f[3]!, 'patchStrategy') ? { patchStrategy: tag(f[3]!, 'patchStrategy') } : {}),
          ...(tag(f[3]!, 'patchMergeKey') ? { patchMergeKey: tag(f[3]!, 'patchMergeKey') } : {}),
        });
        markers = {};
      }
      pkg.structs.set(st[1]!, fields);
      pkg.imports.set(st[1]!, imports);
    }
  }
  return pkg;
}

const pkgs = new Map(Object.entries(PACKAGES).map(([short, [, dir]]) => [short, parsePackage(short, dir)]));

/** a k8s.io/api package a served type refers to (alpha fields of stable types): parsed when first met */
function shortOf(imp: string): string | undefined {
  const known = SHORT_BY_IMPORT.get(imp);
  if (known || !imp.startsWith('k8s.io/api/')) return known;
  const rel = imp.slice('k8s.io/api/'.length);
  const short = rel.replace(/\//g, '.');
  SHORT_BY_IMPORT.set(imp, short);
  pkgs.set(short, parsePackage(short, join(k8s('api'), rel)));
  return short;
}

/** a Go type expression, in the package `pkg` and the import scope of `owner` → the schema's type expression */
function typeExpr(goType: string, pkg: Pkg, owner: string, queue: string[]): string {
  if (goType.startsWith('*')) return `*${typeExpr(goType.slice(1), pkg, owner, queue)}`;
  if (goType === '[]byte') return 'bytes';
  if (goType.startsWith('[]')) return `[]${typeExpr(goType.slice(2), pkg, owner, queue)}`;
  if (goType.startsWith('map[')) {
    const close = goType.indexOf(']');
    return `{${typeExpr(goType.slice(close + 1), pkg, owner, queue)}`;
  }
  if (SCALARS[goType]) return SCALARS[goType]!;
  let target: Pkg | undefined = pkg;
  let name = goType;
  let full: string;
  if (goType.includes('.')) {
    const [alias, local] = goType.split('.') as [string, string];
    const imp = pkg.imports.get(owner)?.get(alias) ?? alias;
    const short = shortOf(imp);
    full = short ? `${short}.${local}` : `${imp}.${local}`;
    if (SPECIAL[full]) return SPECIAL[full]!;
    target = short ? pkgs.get(short) : undefined;
    name = local;
    if (!target) throw new Error(`unknown package of ${goType} (${imp}) in ${pkg.short}.${owner}`);
  } else full = `${pkg.short}.${goType}`;
  if (SPECIAL[full]) return SPECIAL[full]!;
  if (target.structs.has(name)) {
    queue.push(full);
    return `@${full}`;
  }
  const rhs = target.named.get(name);
  if (rhs !== undefined) return typeExpr(rhs, target, name, queue);
  throw new Error(`unresolved type ${goType} in ${pkg.short}.${owner}`);
}

const out = new Map<string, string>();
const queue = Object.values(ROOTS);
while (queue.length > 0) {
  const full = queue.shift()!;
  if (out.has(full)) continue;
  const dot = full.lastIndexOf('.');
  const pkg = pkgs.get(full.slice(0, dot))!;
  const name = full.slice(dot + 1);
  const fields = pkg.structs.get(name);
  if (!fields) throw new Error(`no struct ${full}`);
  const encoded: string[] = [];
  for (const f of fields) {
    // TypeMeta's apiVersion/kind are the envelope's, not fields of the kind
    if (f.inline && /TypeMeta$/.test(f.goType)) continue;
    const type = typeExpr(f.goType, pkg, name, queue);
    const flags = `${f.omitempty ? 'o' : ''}${f.omitzero ? 'z' : ''}${f.inline ? 'i' : ''}`;
    const extras: string[] = [];
    const lt = f.markers.listType?.[0];
    if (lt) extras.push(`lt=${lt}`);
    if (f.markers.listMapKey) extras.push(`lk=${f.markers.listMapKey.join(',')}`);
    if (f.patchStrategy) extras.push(`ps=${f.patchStrategy}`);
    if (f.patchMergeKey) extras.push(`pk=${f.patchMergeKey}`);
    if (f.markers.default?.[0]) extras.push(`d=${encodeURIComponent(f.markers.default[0])}`);
    if (f.markers.mapType?.[0]) extras.push(`mt=${f.markers.mapType[0]}`);
    if (f.markers.structType?.[0]) extras.push(`st=${f.markers.structType[0]}`);
    encoded.push(
      [f.inline ? '' : f.json, f.proto, type, flags, extras.join(';')].join(':').replace(/:+$/, ''),
    );
  }
  out.set(full, encoded.join(' '));
}

const sorted = [...out.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
const body = `// Generated by test/fidelity/generate-go-types.ts from the Go sources of Kubernetes ${KUBERNETES_VERSION}
// (k8s.io/api, apimachinery and apiextensions-apiserver ${STAGING}). Do not edit; run the generator again.
//
// STRUCTS: one entry per Go struct, its fields separated by spaces, each \`json:proto:type:flags:extras\`:
// type is a scalar (string bool int32 int64 float64 bytes), a special (time microtime duration fieldsv1 intstr
// quantity raw), \`@struct\`, \`*T\` (pointer), \`[]T\` (list) or \`{T\` (map of string to T); flags o = omitempty,
// z = omitzero, i = inline (JSON flattens it, the json name is empty); extras \`;\`-separated: lt listType, lk listMapKey(s),
// ps patchStrategy, pk patchMergeKey, d +default (URI-encoded JSON), mt mapType, st structType.

export const GO_TYPES_VERSION = '${KUBERNETES_VERSION}';

/** group/Kind → the Go struct of the kind */
export const ROOT_TYPES: Record<string, string> = ${JSON.stringify(ROOTS, null, 2)};

/** structs that merge as one value (+structType=atomic) */
export const ATOMIC_STRUCTS: readonly string[] = ${JSON.stringify([...ATOMIC].filter((a) => out.has(a)).sort())};

export const STRUCTS: Record<string, string> = {
${sorted.map(([k, v]) => `  '${k}': '${v}',`).join('\n')}
};
`;
const target = resolve(import.meta.dirname, '..', '..', 'src', 'sandbox', 'schema', 'go-types.generated.ts');
writeFileSync(target, body);
console.log(`wrote ${sorted.length} structs to ${target}`);
