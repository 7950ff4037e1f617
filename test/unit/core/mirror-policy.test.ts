import { describe, expect, it } from 'vitest';
import { DEFAULT_STRIP_KEYS } from '../../../src/config/config.js';
import { type DecideConfig, decide, decideGone, type SourceSnapshot } from '../../../src/core/decide.js';
import { buildDesiredMirror } from '../../../src/core/desired-mirror.js';
import { type MirrorKeys, mirrorKeys, withPolicy } from '../../../src/core/keys.js';
import {
  comparePolicies,
  governanceOf,
  labelSelectorText,
  readMirrorPolicy,
  selectionMatches,
} from '../../../src/core/mirror-policy.js';
import { classifyExisting, isProvablyMirrorOf } from '../../../src/core/ownership.js';
import type { KubeObject } from '../../../src/core/types.js';
import { asLive, namespaces } from '../../helpers/builders.js';

/** MirrorPolicy in the pure core (SPEC §11): reading a policy, who governs an object, and the one decision. */

const keys = mirrorKeys();
const pg = withPolicy(keys, 'pg');
const now = () => new Date('2026-01-01T00:00:00Z');

function aPolicy(spec: Record<string, unknown>, name = 'pg', ns = 'databases'): KubeObject {
  return {
    apiVersion: 'kubemirror.io/v1alpha1',
    kind: 'MirrorPolicy',
    metadata: { name, namespace: ns },
    spec,
  };
}

/** As an operator makes it: no kubemirror key at all. */
function operatorSecret(name = 'app-pg-app', extra: Partial<KubeObject['metadata']> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace: 'databases',
      uid: `uid-${name}`,
      resourceVersion: '10',
      labels: { app: 'pg' },
      ...extra,
    },
    type: 'Opaque',
    data: { password: 'czNjcmV0' },
  };
}

describe('readMirrorPolicy: the spec of SPEC §11, read into the spec of an annotated source', () => {
  it('reads selections by names and by selector, targets in the annotation grammar, clusters and a transform', () => {
    const v = readMirrorPolicy(
      aPolicy({
        resources: [
          { apiVersion: 'v1', kind: 'Secret', names: ['b', 'a', 'a'] },
          {
            apiVersion: 'networking.k8s.io/v1',
            kind: 'Ingress',
            selector: {
              matchLabels: { app: 'pg' },
              matchExpressions: [
                { key: 'tier', operator: 'In', values: ['db', 'cache'] },
                { key: 'legacy', operator: 'DoesNotExist' },
              ],
            },
          },
        ],
        targetNamespaces: ['team-*', '!team-legacy', 'all-labeled'],
        targetNamespaceSelector: { matchLabels: { env: 'prod' } },
        targetClusters: ['local', 'west-*'],
        transform: { rules: [{ path: 'data.x', value: 'y' }] },
        transformStrict: true,
      }),
    );
    expect(v.errors).toEqual([]);
    expect(v.selections[0]).toMatchObject({ group: '', version: 'v1', kind: 'Secret', names: ['a', 'b'] });
    expect(v.selections[1]).toMatchObject({
      group: 'networking.k8s.io',
      version: 'v1',
      names: null,
      labelSelector: 'app=pg,tier in (db,cache),!legacy',
    });
    expect(v.spec).toMatchObject({
      syncEnabled: true,
      targets: [
        { type: 'glob', pattern: 'team-*' },
        { type: 'exclude', pattern: 'team-legacy' },
        { type: 'all-labeled' },
      ],
      targetClusters: ['local', 'west-*'],
      transformStrict: true,
    });
    expect(JSON.parse(v.spec.transformText ?? '')).toEqual({ rules: [{ path: 'data.x', value: 'y' }] });
    expect(v.spec.selector?.requirements.map((r) => r.key)).toEqual(['env']);
  });

  it.each([
    [{ resources: [] }, 'spec.resources: must list at least one selection'],
    [
      {
        resources: [{ apiVersion: 'v1', kind: 'Secret', names: ['a'], selector: {} }],
        targetNamespaces: ['a'],
      },
      'spec.resources[0]: must have exactly one of names or selector',
    ],
    [
      { resources: [{ apiVersion: 'v1', kind: 'Secret' }], targetNamespaces: ['a'] },
      'exactly one of names or selector',
    ],
    [
      { resources: [{ apiVersion: 'v1', kind: 'Secret', names: ['A_b'] }], targetNamespaces: ['a'] },
      '"A_b" is not an object name',
    ],
    [
      { resources: [{ apiVersion: 'v 1', kind: 'Secret', names: ['a'] }], targetNamespaces: ['a'] },
      'is not group/version',
    ],
    [
      { resources: [{ apiVersion: 'v1', kind: 'secret', names: ['a'] }], targetNamespaces: ['a'] },
      'is not a kind',
    ],
    [
      { resources: [{ apiVersion: 'v1', kind: 'Secret', names: ['a'] }] },
      'must set targetNamespaces or targetNamespaceSelector',
    ],
    [
      { resources: [{ apiVersion: 'v1', kind: 'Secret', names: ['a'] }], targetNamespaces: ['team-['] },
      'team-[',
    ],
    [
      { resources: [{ apiVersion: 'v1', kind: 'Secret', names: ['a'] }], targetNamespaces: ['a,b'] },
      'one entry per item',
    ],
    [
      {
        resources: [
          {
            apiVersion: 'v1',
            kind: 'Secret',
            selector: { matchExpressions: [{ key: 'a', operator: 'In' }] },
          },
        ],
        targetNamespaces: ['a'],
      },
      'must be non-empty for operator In',
    ],
    [
      {
        resources: [{ apiVersion: 'v1', kind: 'Secret', names: ['a'] }],
        targetNamespaces: ['a'],
        targetClusters: ['West'],
      },
      'not a cluster name',
    ],
    [
      {
        resources: [{ apiVersion: 'v1', kind: 'Secret', names: ['a'] }],
        targetNamespaces: ['a'],
        transform: { rules: 'x' },
      },
      'spec.transform: must be an object with a list of rules',
    ],
  ])('refuses %j: %s', (spec, message) => {
    const v = readMirrorPolicy(aPolicy(spec));
    expect(v.errors.join('\n')).toContain(message);
    expect(v.spec.errors).toBe(v.errors);
  });

  it('a policy without spec reports it, and never throws', () => {
    expect(readMirrorPolicy({ ...aPolicy({}), spec: undefined }).errors).toContain('spec: required');
  });

  it('labelSelectorText turns a LabelSelector into the selector string the API server takes', () => {
    const errors: string[] = [];
    expect(
      labelSelectorText(
        {
          matchExpressions: [
            { key: 'a', operator: 'NotIn', values: ['x'] },
            { key: 'b', operator: 'Exists' },
          ],
        },
        's',
        errors,
      ),
    ).toBe('a notin (x),b');
    expect(labelSelectorText({}, 's', errors)).toBe('');
    expect(errors).toEqual([]);
    expect(labelSelectorText({ matchLabels: { 'bad key!': 'x' } }, 's', errors)).toBeNull();
    expect(errors[0]).toContain('s.matchLabels: key "bad key!"');
  });

  it('selectionMatches: names exactly, selectors by labels', () => {
    const [byName, byLabel] = readMirrorPolicy(
      aPolicy({
        resources: [
          { apiVersion: 'v1', kind: 'Secret', names: ['app-pg-app'] },
          { apiVersion: 'v1', kind: 'Secret', selector: { matchLabels: { app: 'pg' } } },
        ],
        targetNamespaces: ['a'],
      }),
    ).selections;
    expect(selectionMatches(byName!, operatorSecret())).toBe(true);
    expect(selectionMatches(byName!, operatorSecret('other'))).toBe(false);
    expect(selectionMatches(byLabel!, operatorSecret('other'))).toBe(true);
    expect(selectionMatches(byLabel!, operatorSecret('x', { labels: {} }))).toBe(false);
  });
});

describe('governanceOf: exactly one governor per object', () => {
  const older = { name: 'zeta', creationTimestamp: '2026-01-01T00:00:00Z' };
  const younger = { name: 'alpha', creationTimestamp: '2026-01-02T00:00:00Z' };
  it('the oldest policy selecting it governs; the name breaks a tie', () => {
    expect(governanceOf(operatorSecret(), [younger, older], keys)).toEqual({
      governor: 'policy',
      policy: 'zeta',
    });
    const same = { name: 'beta', creationTimestamp: older.creationTimestamp };
    expect(comparePolicies(same, older)).toBeLessThan(0);
  });
  it('its own P/sync, whatever its value, hands it to its annotations', () => {
    for (const value of ['true', 'false'])
      expect(
        governanceOf(operatorSecret('x', { annotations: { [keys.sync]: value } }), [older], keys),
      ).toEqual({ governor: 'annotations' });
  });
  it('no policy: nobody', () => {
    expect(governanceOf(operatorSecret(), [], keys)).toEqual({ governor: 'none' });
  });
});

describe('the one decision, for an object a policy governs', () => {
  const spec = readMirrorPolicy(
    aPolicy({
      resources: [{ apiVersion: 'v1', kind: 'Secret', names: ['app-pg-app'] }],
      targetNamespaces: ['team-*'],
    }),
  ).spec;
  const NS = namespaces('databases', 'team-a', 'team-b', 'other');
  const config = (k: MirrorKeys): DecideConfig => ({
    keys: k,
    policy: {
      keys: k,
      excludedNamespaces: [],
      includedNamespaces: [],
      systemNamespaces: [],
      maxTargets: 100,
    },
    sourceNamespaces: [],
    finalizers: false,
    stripKeys: DEFAULT_STRIP_KEYS,
  });
  const mirrorIn = (ns: string, k: MirrorKeys, source = operatorSecret()) =>
    asLive(buildDesiredMirror(source, ns, { keys: k, stripKeys: DEFAULT_STRIP_KEYS, now }).mirror);
  const snapshot = (live: KubeObject[]): SourceSnapshot => ({
    source: operatorSecret(),
    denied: null,
    spec,
    transform: { ok: true, program: null },
    namespaces: NS,
    namespace: (n) => NS.find((x) => x.name === n),
    live,
    isSourceLive: () => true,
    config: config(pg),
    now,
  });

  it('mirrors carry P/policy; no finalizer for the selected object, which is never written', () => {
    const d = decide(snapshot([]));
    if (d.type !== 'sync') throw new Error(d.type);
    expect(d.addFinalizer).toBe(false);
    expect(d.actions.map((a) => [a.type, a.namespace])).toEqual([
      ['create', 'team-a'],
      ['create', 'team-b'],
    ]);
    const created = d.actions[0];
    expect(created?.type === 'create' && created.desired.metadata.annotations?.[keys.policy]).toBe('pg');
  });

  it('takes over the mirrors its annotations (or another policy) made of the same object, and deletes only its own', () => {
    const annotated = mirrorIn('team-a', keys);
    const otherPolicy = mirrorIn('other', withPolicy(keys, 'older'));
    const own = mirrorIn('other', pg);
    expect(classifyExisting(annotated, operatorSecret(), pg, () => true)).toBe('adoptable');
    const d = decide(snapshot([annotated, mirrorIn('team-b', pg)]));
    if (d.type !== 'sync') throw new Error(d.type);
    expect(d.actions.map((a) => [a.type, a.namespace, a.reason])).toEqual([
      ['update', 'team-a', expect.stringContaining('taking over the mirror made under its annotations')],
      ['noop', 'team-b', 'in sync'],
    ]);
    // a namespace no longer targeted: only a mirror marked with this policy goes
    expect(isProvablyMirrorOf(otherPolicy, 'databases', 'app-pg-app', 'uid-app-pg-app', pg)).toBe(false);
    const d2 = decide(snapshot([otherPolicy]));
    expect(d2.type === 'sync' && d2.actions.filter((a) => a.type === 'delete')).toEqual([]);
    const d3 = decide(snapshot([own]));
    expect(
      d3.type === 'sync' && d3.actions.filter((a) => a.type === 'delete').map((a) => a.namespace),
    ).toEqual(['other']);
  });

  it('an annotated source never deletes a policy’s mirror of it, and a policy releasing an object only its own', () => {
    const policyMirror = mirrorIn('team-a', pg);
    const annotatedMirror = mirrorIn('team-b', keys);
    const gone = (k: MirrorKeys) =>
      decideGone({
        ref: { namespace: 'databases', name: 'app-pg-app' },
        mirrors: [policyMirror, annotatedMirror],
        live: null,
        lastSeenUid: 'uid-app-pg-app',
        cachedUid: undefined,
        keys: k,
      }).deletes.map((x) => x.mirror.metadata.namespace);
    expect(gone(keys)).toEqual(['team-b']);
    expect(gone(pg)).toEqual(['team-a']);
  });
});
