import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_CONFIG } from '../config/config.js';
import { transformLimits } from '../controllers/target-policy.js';
import { decide } from '../core/decide.js';
import { type MirrorKeys, mirrorKeys, withPolicy } from '../core/keys.js';
import { labelKeyError } from '../core/label-selector.js';
import { MIRROR_POLICIES, readMirrorPolicy, selectionMatches } from '../core/mirror-policy.js';
import { resourceDenyReason } from '../core/resource-policy.js';
import { readSourceSpec, type SourceSpec } from '../core/source-spec.js';
import type { TargetPolicy } from '../core/targeting.js';
import { compileTransform } from '../core/transform/index.js';
import { newTransformCache, transformFor } from '../core/transform-cache.js';
import type { KubeObject, NamespaceInfo } from '../core/types.js';
import { checkFlags } from './flag-problems.js';
import { stringifyPortable } from './portable-yaml.js';

export interface PlanIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const USAGE = `Usage: kubemirror plan -f <source.yaml> [--namespace <ns>]... [--namespace-labels ns=key=value,...]
                      [--namespace-annotations ns=key=value,...] [--annotation-prefix <prefix>]

Prints, as YAML, the mirrors kubemirror would write for every source in the file, with transforms applied
and Secret data base64-encoded as stored; strings a YAML 1.1 reader (kubectl, PyYAML) would take for a
boolean, number, null or date are quoted, so the output pipes into kubectl apply -f -. Namespaces come
from --namespace and from Namespace objects in the file; their labels drive targeting and the
TargetLabels/TargetAnnotations template data. A MirrorPolicy in the file is planned with the objects of the
file it selects; an object with its own sync annotation follows its annotations, and of two policies selecting
one object the first in the file governs.
Exits 1 on any validation or transform error (all of them are printed), 2 on bad usage.
`;

type Problems = string[];

/** `ns=k=v,ns=k2=v2`: the first `=` ends the namespace, the second the key. */
function parsePairs(
  flag: string,
  values: readonly string[],
  out: Map<string, Record<string, string>>,
  errors: Problems,
) {
  for (const raw of values.flatMap((v) => v.split(','))) {
    const item = raw.trim();
    if (item === '') continue;
    const m = /^([^=]+)=([^=]+)=(.*)$/.exec(item);
    if (!m) {
      errors.push(`${flag} ${JSON.stringify(item)}: expected namespace=key=value`);
      continue;
    }
    const [, ns, key, value] = m as unknown as [string, string, string, string];
    const keyError = labelKeyError(key);
    if (keyError) errors.push(`${flag} ${JSON.stringify(item)}: ${keyError}`);
    const map = out.get(ns) ?? {};
    map[key] = value;
    out.set(ns, map);
  }
}

function isKubeObject(v: unknown): v is KubeObject {
  if (v === null || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  const meta = o.metadata as Record<string, unknown> | undefined;
  return typeof o.apiVersion === 'string' && typeof o.kind === 'string' && typeof meta?.name === 'string';
}

/**
 * An object of the file is planned as a source unless it is only what a namespace already holds: an object
 * with neither the source label nor the sync annotation that sits where another object of the file is a
 * source of the same name.
 */
function isPlanned(obj: KubeObject, all: readonly KubeObject[], keys: MirrorKeys): boolean {
  const marked =
    obj.metadata.labels?.[keys.enabled] === 'true' || obj.metadata.annotations?.[keys.sync] === 'true';
  if (marked) return true;
  return !all.some(
    (o) =>
      o !== obj &&
      o.kind === obj.kind &&
      o.apiVersion === obj.apiVersion &&
      o.metadata.name === obj.metadata.name &&
      (o.metadata.labels?.[keys.enabled] === 'true' || o.metadata.annotations?.[keys.sync] === 'true'),
  );
}

/**
 * `kubemirror plan`: what the controller would write, without a cluster. The controller's own decision
 * (core/decide.ts) on what the file holds, so a preview decides exactly as the controller does.
 */
export async function planCommand(argv: string[], io: PlanIo): Promise<number> {
  const args = argv[0] === 'plan' ? argv.slice(1) : argv;
  const check = checkFlags(args, OPTIONS);
  if (check.help) {
    io.stdout(USAGE);
    return 0;
  }
  const problems = [...check.problems];
  if (!check.given.has('filename')) problems.push('-f <source.yaml> is required');
  const parsed = problems.length === 0 ? parseOptions(args) : null;
  const file = parsed?.values.filename;
  if (!parsed || !file) {
    if (parsed) problems.push('-f needs a file path');
    for (const p of problems) io.stderr(`error: ${p}\n`);
    io.stderr(`\n${USAGE}`);
    return 2;
  }
  const prefix = parsed.values['annotation-prefix'] ?? DEFAULT_CONFIG.annotationPrefix;
  const keys = mirrorKeys(prefix);
  const errors: Problems = [];
  const warnings: string[] = [];

  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    io.stderr(`error: cannot read ${file}: ${(err as Error).message}\n`);
    return 1;
  }
  const sources: KubeObject[] = [];
  const policies: KubeObject[] = [];
  const namespaces = new Map<string, NamespaceInfo>();
  const ensureNs = (name: string) => {
    let ns = namespaces.get(name);
    if (!ns) {
      ns = { name, labels: {}, annotations: {}, terminating: false };
      namespaces.set(name, ns);
    }
    return ns;
  };
  parseAllDocuments(text).forEach((doc, i) => {
    if (!('errors' in doc)) return;
    if (doc.errors.length > 0) {
      for (const e of doc.errors)
        errors.push(`${file}: document ${i + 1}: invalid YAML: ${e.message.split('\n')[0]}`);
      return;
    }
    const obj = doc.toJS({ maxAliasCount: 100 }) as unknown;
    if (obj === null || obj === undefined) return;
    if (!isKubeObject(obj)) {
      errors.push(
        `${file}: document ${i + 1}: not a Kubernetes object (needs apiVersion, kind, metadata.name)`,
      );
    } else if (obj.kind === MIRROR_POLICIES.kind && obj.apiVersion.startsWith(`${MIRROR_POLICIES.group}/`)) {
      policies.push(obj);
    } else if (obj.kind === 'Namespace' && obj.apiVersion === 'v1') {
      const ns = ensureNs(obj.metadata.name);
      Object.assign(ns.labels, obj.metadata.labels ?? {});
      Object.assign(ns.annotations, obj.metadata.annotations ?? {});
    } else {
      sources.push(obj);
    }
  });
  for (const n of parsed.values.namespace ?? [])
    for (const name of n.split(',')) if (name.trim()) ensureNs(name.trim());
  const nsLabels = new Map<string, Record<string, string>>();
  const nsAnnotations = new Map<string, Record<string, string>>();
  parsePairs('--namespace-labels', parsed.values['namespace-labels'] ?? [], nsLabels, errors);
  parsePairs('--namespace-annotations', parsed.values['namespace-annotations'] ?? [], nsAnnotations, errors);
  for (const [name, labels] of nsLabels) Object.assign(ensureNs(name).labels, labels);
  for (const [name, annotations] of nsAnnotations) Object.assign(ensureNs(name).annotations, annotations);

  if (sources.length === 0 && policies.length === 0 && errors.length === 0)
    errors.push(`${file}: no source objects found`);
  if (namespaces.size === 0)
    errors.push('no namespaces: pass --namespace <ns> or put Namespace objects in the file');

  const policy: TargetPolicy = {
    keys,
    excludedNamespaces: DEFAULT_CONFIG.excludedNamespaces,
    includedNamespaces: DEFAULT_CONFIG.includedNamespaces,
    systemNamespaces: DEFAULT_CONFIG.systemNamespaces,
    maxTargets: DEFAULT_CONFIG.maxTargets,
  };
  const docs: string[] = [];
  if (errors.length === 0) {
    const governed = planPolicies(policies, sources, keys, errors, warnings);
    const marked = (o: KubeObject) =>
      o.metadata.labels?.[keys.enabled] === 'true' || o.metadata.annotations?.[keys.sync] !== undefined;
    for (const source of sources.filter(
      (o) => isPlanned(o, sources, keys) && (marked(o) || !governed.has(o)),
    ))
      planSource(source, sources, [...namespaces.values()], policy, docs, errors, warnings);
    for (const [source, by] of governed)
      planSource(source, sources, [...namespaces.values()], policy, docs, errors, warnings, by);
  }
  for (const w of warnings) io.stderr(`warning: ${w}\n`);
  if (errors.length > 0) {
    for (const e of errors) io.stderr(`error: ${e}\n`);
    if (docs.length > 0)
      io.stderr(`(${docs.length} mirror(s) planned for the targets without errors; not printed)\n`);
    return 1;
  }
  io.stdout(docs.join('---\n'));
  return 0;
}

const OPTIONS = {
  filename: { type: 'string', short: 'f' },
  namespace: { type: 'string', short: 'n', multiple: true },
  'namespace-labels': { type: 'string', multiple: true },
  'namespace-annotations': { type: 'string', multiple: true },
  'annotation-prefix': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Only after checkFlags found no problem, so the strict parse cannot throw. */
function parseOptions(args: string[]) {
  return parseArgs({ args, strict: true, allowPositionals: false, options: OPTIONS });
}

/** The object in the file that holds `source`'s name in namespace `ns`, other than the source itself. */
function occupantIn(all: readonly KubeObject[], source: KubeObject, ns: string): KubeObject | undefined {
  return all.find(
    (o) =>
      o !== source &&
      o.apiVersion === source.apiVersion &&
      o.kind === source.kind &&
      o.metadata.name === source.metadata.name &&
      (o.metadata.namespace ?? 'default') === ns,
  );
}

/**
 * One source of the file through the controller's own decision (core/decide.ts), as if its sync were on. The
 * other objects of the file are what the namespaces already hold: one holding a target's name is a conflict
 * there, exactly as the controller would find it.
 */
/** A MirrorPolicy of the file governing an object of it: its name and the spec its objects are decided with. */
interface PolicyGovernor {
  name: string;
  spec: SourceSpec;
}

/**
 * The policies of the file, read, and the objects of the file each governs (SPEC §11): those its selections match
 * in its namespace, unless the object carries its own `P/sync` (its annotations govern) or an earlier policy of the
 * file governs it already. Every problem is an error; skipped and overlapping objects are warnings.
 */
function planPolicies(
  policies: readonly KubeObject[],
  objects: readonly KubeObject[],
  keys: MirrorKeys,
  errors: Problems,
  warnings: string[],
): Map<KubeObject, PolicyGovernor> {
  const governed = new Map<KubeObject, PolicyGovernor>();
  for (const p of policies) {
    const ns = p.metadata.namespace ?? 'default';
    const id = `MirrorPolicy ${ns}/${p.metadata.name}`;
    const view = readMirrorPolicy(p);
    for (const e of view.errors) errors.push(`${id}: ${e}`);
    let selectedAny = false;
    for (const sel of view.selections) {
      const denied = resourceDenyReason({ group: sel.group, kind: sel.kind }, false);
      if (denied) {
        errors.push(`${id}: ${sel.kind} (${sel.apiVersion}): ${denied}`);
        continue;
      }
      for (const o of objects) {
        const group = o.apiVersion.includes('/') ? o.apiVersion.slice(0, o.apiVersion.lastIndexOf('/')) : '';
        if (o.kind !== sel.kind || group !== sel.group || (o.metadata.namespace ?? 'default') !== ns)
          continue;
        if (!selectionMatches(sel, o)) continue;
        selectedAny = true;
        const what = `${o.kind} ${ns}/${o.metadata.name}`;
        const other = governed.get(o);
        if (o.metadata.annotations?.[keys.sync] !== undefined)
          warnings.push(
            `${what}: selected by ${id} but governed by its own ${keys.sync} annotation: skipped`,
          );
        else if (other && other.name !== p.metadata.name)
          warnings.push(`${what}: selected by ${id} too; ${other.name}, earlier in the file, governs it`);
        else if (view.errors.length === 0) governed.set(o, { name: p.metadata.name, spec: view.spec });
      }
    }
    if (!selectedAny && view.errors.length === 0) warnings.push(`${id}: selects no object of the file`);
  }
  return governed;
}

function planSource(
  source: KubeObject,
  all: readonly KubeObject[],
  namespaces: NamespaceInfo[],
  policy: TargetPolicy,
  docs: string[],
  errors: Problems,
  warnings: string[],
  governor?: PolicyGovernor,
): void {
  const keys = governor ? withPolicy(policy.keys, governor.name) : policy.keys;
  const sourceNs = source.metadata.namespace ?? 'default';
  const src: KubeObject = { ...source, metadata: { ...source.metadata, namespace: sourceNs } };
  const id = `${src.kind} ${sourceNs}/${src.metadata.name}${governor ? ` (MirrorPolicy ${governor.name})` : ''}`;
  const spec = governor?.spec ?? readSourceSpec(src, keys);
  if (!spec.syncEnabled) {
    warnings.push(
      `${id}: mirroring is not on yet (needs label ${keys.enabled}: "true" and annotation ${keys.sync}: "true"); planned as if it were`,
    );
  }
  const limits = transformLimits(DEFAULT_CONFIG);
  const byName = new Map(namespaces.map((n) => [n.name, n]));
  const decision = decide({
    source: src,
    denied: null,
    spec: { ...spec, syncEnabled: true },
    transform: transformFor(newTransformCache(), spec, limits, keys.prefix),
    namespaces,
    namespace: (name) => byName.get(name),
    live: [],
    occupant: (ns) => occupantIn(all, source, ns),
    isSourceLive: (ns, name) =>
      all.some(
        (o) =>
          (o.metadata.namespace ?? 'default') === ns &&
          o.metadata.name === name &&
          o.metadata.labels?.[keys.enabled] === 'true',
      ),
    config: {
      keys,
      policy: { ...policy, keys },
      sourceNamespaces: DEFAULT_CONFIG.sourceNamespaces,
      finalizers: false,
      stripKeys: DEFAULT_CONFIG.stripKeys,
    },
    now: () => new Date(),
  });
  if (decision.type === 'fail') {
    // every problem at once, where the decision names the first
    if (decision.reason === 'InvalidSpec') for (const e of spec.errors) errors.push(`${id}: ${e}`);
    else if (decision.reason === 'TransformFailed' && spec.transformText !== null) {
      const compiled = compileTransform(spec.transformText, { prefix: keys.prefix, limits });
      const where = governor ? 'spec.transform' : keys.transform;
      for (const e of compiled.ok ? [decision.message] : compiled.errors)
        errors.push(`${id}: ${where}: ${e}`);
    } else errors.push(`${id}: ${decision.message}`);
    return;
  }
  if (decision.type !== 'sync') return;
  if (decision.wanted === 0) warnings.push(`${id}: no target namespace matches`);
  for (const s of decision.skipped) {
    warnings.push(
      `${id} → ${s.namespace}: transform rules[${s.rule}] (path ${s.path}) skipped: ${s.message}`,
    );
  }
  for (const a of decision.actions) {
    if (a.type === 'create' || a.type === 'update' || a.type === 'recreate')
      docs.push(`# ${id} → ${a.namespace}\n${stringifyPortable(a.desired)}`);
    else if (a.type === 'conflict')
      warnings.push(`${id} → ${a.namespace}: not mirrored, conflict: ${a.reason}`);
    else if (a.type === 'error') {
      const strict = a.code === 'TransformFailed' && spec.transformStrict;
      errors.push(`${id} → ${a.namespace}: ${a.reason}${strict ? ' (strict mode: this target fails)' : ''}`);
    }
  }
}
