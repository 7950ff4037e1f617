import { globProblem, isGlob } from './glob.js';
import type { MirrorKeys } from './keys.js';
import {
  type LabelSelector,
  labelKeyError,
  labelValueError,
  parseLabelSelector,
  selectorMatches,
} from './label-selector.js';
import { parseTargetEntries, type SourceSpec } from './source-spec.js';
import type { KubeObject, ResourceType } from './types.js';

/**
 * MirrorPolicy (SPEC §11): selects objects in its own namespace that cannot be annotated and says where they go.
 * Pure: what a policy asks for, read into the same SourceSpec an annotated source yields, so each selected object
 * goes through the one decision (core/decide.ts) as if it carried `P/enabled` and the policy's annotations.
 */

export const MIRROR_POLICIES: ResourceType = Object.freeze({
  group: 'kubemirror.io',
  version: 'v1alpha1',
  kind: 'MirrorPolicy',
  plural: 'mirrorpolicies',
  namespaced: true,
});

export const MIRROR_POLICY_API_VERSION = 'kubemirror.io/v1alpha1';

/** One entry of `spec.resources`: a kind, and the objects of it in the policy's namespace. */
export interface PolicySelection {
  apiVersion: string;
  /** '' for the core group */
  group: string;
  version: string;
  kind: string;
  /** exactly these names; null when the selection is by label selector */
  names: readonly string[] | null;
  /** the label selector in its string form, for the server ('' = every object of the kind); '' with names */
  labelSelector: string;
  /** the parsed label selector; null with names */
  selector: LabelSelector | null;
}

/** What a policy asks for; never throws: problems land in `errors` (a policy with errors changes no mirror). */
export interface MirrorPolicyView {
  selections: PolicySelection[];
  /** the spec each selected object is decided with, as if it carried the policy's annotations */
  spec: SourceSpec;
  errors: string[];
}

/** Limits the CRD's schema states too (so CEL's cost estimate is bounded); checked here for the sandbox. */
export const POLICY_LIMITS = { resources: 16, names: 64, targetNamespaces: 256, targetClusters: 32 } as const;

const KIND = /^[A-Z][A-Za-z0-9]{0,62}$/;
const API_VERSION =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?v[0-9]+((alpha|beta)[0-9]+)?$/;
/** DNS-1123 subdomain: the names of Secrets, ConfigMaps and most kinds */
const OBJECT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const CLUSTER = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A Kubernetes LabelSelector object (`matchLabels`, `matchExpressions`) in its string form, checked as the API
 * server checks it; null when it is not one (the problems are pushed to `errors`).
 */
export function labelSelectorText(value: unknown, where: string, errors: string[]): string | null {
  if (!isMap(value)) {
    errors.push(`${where}: must be a label selector (matchLabels, matchExpressions)`);
    return null;
  }
  const before = errors.length;
  const parts: string[] = [];
  for (const key of Object.keys(value))
    if (key !== 'matchLabels' && key !== 'matchExpressions') errors.push(`${where}: unknown field "${key}"`);
  const labels = value.matchLabels;
  if (labels !== undefined && !isMap(labels)) errors.push(`${where}.matchLabels: must be a map`);
  for (const [k, v] of Object.entries(isMap(labels) ? labels : {})) {
    const keyProblem = labelKeyError(k);
    const valueProblem = typeof v === 'string' ? labelValueError(v) : 'must be a string';
    if (keyProblem) errors.push(`${where}.matchLabels: key "${k}": ${keyProblem}`);
    else if (valueProblem) errors.push(`${where}.matchLabels["${k}"]: ${valueProblem}`);
    else parts.push(`${k}=${v as string}`);
  }
  const exprs = value.matchExpressions;
  if (exprs !== undefined && !Array.isArray(exprs)) errors.push(`${where}.matchExpressions: must be a list`);
  (Array.isArray(exprs) ? exprs : []).forEach((e: unknown, i) => {
    const at = `${where}.matchExpressions[${i}]`;
    if (!isMap(e) || typeof e.key !== 'string') {
      errors.push(`${at}: needs a key`);
      return;
    }
    const keyProblem = labelKeyError(e.key);
    if (keyProblem) {
      errors.push(`${at}.key: ${keyProblem}`);
      return;
    }
    const values = e.values === undefined ? [] : e.values;
    if (!Array.isArray(values) || values.some((v) => typeof v !== 'string')) {
      errors.push(`${at}.values: must be a list of strings`);
      return;
    }
    const bad = (values as string[]).map(labelValueError).find((p) => p !== null);
    if (bad) errors.push(`${at}.values: ${bad}`);
    switch (e.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) errors.push(`${at}.values: must be non-empty for operator ${e.operator}`);
        else parts.push(`${e.key} ${e.operator === 'In' ? 'in' : 'notin'} (${values.join(',')})`);
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) errors.push(`${at}.values: must be empty for operator ${e.operator}`);
        else parts.push(e.operator === 'Exists' ? e.key : `!${e.key}`);
        break;
      default:
        errors.push(`${at}.operator: must be one of In, NotIn, Exists, DoesNotExist`);
    }
  });
  return errors.length > before ? null : parts.join(',');
}

function stringList(
  value: unknown,
  where: string,
  max: number,
  errors: string[],
  allowEmpty = false,
): string[] | null {
  if (value === undefined) return null;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    errors.push(`${where}: must be a list of strings`);
    return null;
  }
  if (value.length > max) errors.push(`${where}: at most ${max} entries, not ${value.length}`);
  if (!allowEmpty && value.length === 0) errors.push(`${where}: must not be empty`);
  return value as string[];
}

function readSelection(raw: unknown, i: number, errors: string[]): PolicySelection | null {
  const where = `spec.resources[${i}]`;
  if (!isMap(raw)) {
    errors.push(`${where}: must be an object with apiVersion, kind and names or selector`);
    return null;
  }
  const before = errors.length;
  const apiVersion = typeof raw.apiVersion === 'string' ? raw.apiVersion : '';
  const kind = typeof raw.kind === 'string' ? raw.kind : '';
  if (!API_VERSION.test(apiVersion)) errors.push(`${where}.apiVersion: "${apiVersion}" is not group/version`);
  if (!KIND.test(kind)) errors.push(`${where}.kind: "${kind}" is not a kind`);
  const hasNames = raw.names !== undefined;
  const hasSelector = raw.selector !== undefined;
  if (hasNames === hasSelector) errors.push(`${where}: must have exactly one of names or selector`);
  const names = stringList(raw.names, `${where}.names`, POLICY_LIMITS.names, errors);
  for (const n of names ?? [])
    if (!OBJECT_NAME.test(n) || n.length > 253) errors.push(`${where}.names: "${n}" is not an object name`);
  let labelSelector = '';
  let selector: LabelSelector | null = null;
  if (hasSelector) {
    const text = labelSelectorText(raw.selector, `${where}.selector`, errors);
    if (text !== null) {
      labelSelector = text;
      selector = parseLabelSelector(text);
    }
  }
  if (errors.length > before) return null;
  const slash = apiVersion.lastIndexOf('/');
  return {
    apiVersion,
    group: slash < 0 ? '' : apiVersion.slice(0, slash),
    version: apiVersion.slice(slash + 1),
    kind,
    names: names ? [...new Set(names)].sort() : null,
    labelSelector,
    selector,
  };
}

/**
 * Reads a MirrorPolicy: its selections, and the SourceSpec its selected objects are decided with. Everything the
 * CRD's CEL rules check is checked here again (the sandbox does not evaluate CEL; a cluster may run an older
 * CRD), plus what CEL cannot say (target entries as the annotation grammar reads them, selector syntax).
 */
export function readMirrorPolicy(policy: KubeObject): MirrorPolicyView {
  const errors: string[] = [];
  const spec = isMap(policy.spec) ? policy.spec : {};
  if (!isMap(policy.spec)) errors.push('spec: required');
  const resources = spec.resources;
  const selections: PolicySelection[] = [];
  if (!Array.isArray(resources) || resources.length === 0)
    errors.push('spec.resources: must list at least one selection');
  else {
    if (resources.length > POLICY_LIMITS.resources)
      errors.push(`spec.resources: at most ${POLICY_LIMITS.resources} entries, not ${resources.length}`);
    resources.forEach((r, i) => {
      const s = readSelection(r, i, errors);
      if (s) selections.push(s);
    });
  }

  const targetErrors: string[] = [];
  const entries = stringList(
    spec.targetNamespaces,
    'spec.targetNamespaces',
    POLICY_LIMITS.targetNamespaces,
    errors,
  );
  for (const e of entries ?? [])
    if (e.includes(',')) targetErrors.push(`invalid entry "${e}" in targetNamespaces: one entry per item`);
  const targets = parseTargetEntries((entries ?? []).filter((e) => !e.includes(',')).join(','), targetErrors);
  errors.push(...targetErrors.map((e) => `spec.${e.replace('target-namespaces', 'targetNamespaces')}`));

  let selector: LabelSelector | null = null;
  if (spec.targetNamespaceSelector !== undefined) {
    const text = labelSelectorText(spec.targetNamespaceSelector, 'spec.targetNamespaceSelector', errors);
    // `{}` is treated as absent, as a blank selector annotation is (not as "every namespace": say `all`)
    if (text) selector = parseLabelSelector(text);
  }
  if ((entries ?? []).length === 0 && spec.targetNamespaceSelector === undefined)
    errors.push('spec: must set targetNamespaces or targetNamespaceSelector (or both)');

  const clusters = stringList(
    spec.targetClusters,
    'spec.targetClusters',
    POLICY_LIMITS.targetClusters,
    errors,
  );
  const targetClusters: string[] = [];
  for (const c of clusters ?? []) {
    const problem = isGlob(c)
      ? globProblem(c)
      : CLUSTER.test(c) && c.length <= 63
        ? null
        : 'not a cluster name';
    if (problem) errors.push(`spec.targetClusters: invalid entry "${c}": ${problem}`);
    else targetClusters.push(c);
  }

  let transformText: string | null = null;
  if (spec.transform !== undefined) {
    if (!isMap(spec.transform) || !Array.isArray(spec.transform.rules))
      errors.push('spec.transform: must be an object with a list of rules');
    else if (spec.transform.rules.length > 0) transformText = JSON.stringify({ rules: spec.transform.rules });
  }
  if (spec.transformStrict !== undefined && typeof spec.transformStrict !== 'boolean')
    errors.push('spec.transformStrict: must be true or false');

  return {
    selections,
    spec: {
      enabled: true,
      syncAnnotation: true,
      syncEnabled: true,
      targets,
      selector,
      transformText,
      transformStrict: spec.transformStrict === true,
      targetClusters: targetClusters.length > 0 ? targetClusters : ['local'],
      errors,
    },
    errors,
  };
}

/** Whether `obj` (of the selection's kind, in the policy's namespace) is one the selection names. */
export function selectionMatches(s: PolicySelection, obj: KubeObject): boolean {
  if (s.names) return s.names.includes(obj.metadata.name);
  return s.selector === null || selectorMatches(s.selector, obj.metadata.labels);
}

/** A policy as governance compares it: who is older governs. */
export interface PolicyRef {
  name: string;
  creationTimestamp?: string;
}

/** Older first; the name breaks a tie (two policies created within the same second). */
export function comparePolicies(a: PolicyRef, b: PolicyRef): number {
  const ta = Date.parse(a.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.creationTimestamp ?? '') || 0;
  if (ta !== tb) return ta - tb;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * Who governs a selected object (SPEC §11): its own annotations when it carries `P/sync` (whatever its value:
 * the owner of the object said), else the oldest of the policies selecting it. Exactly one governor writes and
 * deletes an object's mirrors; the others report it as skipped or overlapping and never delete what it made.
 */
export type Governance =
  | { governor: 'annotations' }
  | { governor: 'policy'; policy: string }
  | { governor: 'none' };

export function governanceOf(obj: KubeObject, selecting: readonly PolicyRef[], keys: MirrorKeys): Governance {
  if (obj.metadata.annotations?.[keys.sync] !== undefined) return { governor: 'annotations' };
  const oldest = [...selecting].sort(comparePolicies)[0];
  return oldest ? { governor: 'policy', policy: oldest.name } : { governor: 'none' };
}
