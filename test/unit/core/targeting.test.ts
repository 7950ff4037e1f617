import { describe, expect, it } from 'vitest';
import { mirrorKeys } from '../../../src/core/keys.js';
import { readSourceSpec } from '../../../src/core/source-spec.js';
import { resolveTargets, sourceWantsNamespace, type TargetPolicy } from '../../../src/core/targeting.js';
import type { NamespaceInfo } from '../../../src/core/types.js';
import { aNamespace, aSource, type SourceBuilder } from '../../helpers/builders.js';

const keys = mirrorKeys();
const policy: TargetPolicy = {
  keys,
  excludedNamespaces: [],
  includedNamespaces: [],
  systemNamespaces: ['kube-system', 'kube-public', 'kube-node-lease'],
  maxTargets: 100,
};

const cluster: NamespaceInfo[] = [
  aNamespace('platform').build(),
  aNamespace('app-1').withLabels({ env: 'prod', team: 'payments' }).build(),
  aNamespace('app-2').withLabels({ env: 'staging' }).build(),
  aNamespace('app-3')
    .withLabels({ [keys.allowMirrors]: 'false', env: 'prod' })
    .build(),
  aNamespace('app-4').terminating().build(),
  aNamespace('prod-a')
    .withLabels({ [keys.allowMirrors]: 'true' })
    .build(),
  aNamespace('team-b').build(),
  aNamespace('team-c').build(),
  aNamespace('locked')
    .withAnnotations({ [keys.allowMirrorsFrom]: 'security, infra-*' })
    .build(),
  aNamespace('open-to-platform')
    .withAnnotations({ [keys.allowMirrorsFrom]: 'plat*' })
    .build(),
  aNamespace('nobody')
    .withAnnotations({ [keys.allowMirrorsFrom]: '' })
    .build(),
  aNamespace('kube-system')
    .withLabels({ [keys.allowMirrors]: 'true' })
    .build(),
  aNamespace('kube-public').build(),
];

function targetsOf(b: SourceBuilder, p: Partial<TargetPolicy> = {}, nss: NamespaceInfo[] = cluster) {
  const src = b.build();
  return resolveTargets(src, readSourceSpec(src, keys), nss, { ...policy, ...p });
}

const src = () => aSource().inNamespace('platform');

describe('resolveTargets', () => {
  it.each<[string, SourceBuilder, Partial<TargetPolicy>, string[]]>([
    ['exact names', src().withTargets('app-1,app-2'), {}, ['app-1', 'app-2']],
    ['exact name that does not exist is skipped', src().withTargets('app-1,later'), {}, ['app-1']],
    ['glob', src().withTargets('app-*'), {}, ['app-1', 'app-2']],
    ['? glob', src().withTargets('prod-?'), {}, ['prod-a']],
    ['class glob', src().withTargets('team-[ab]'), {}, ['team-b']],
    [
      'all: everything but source, terminating, opted-out, system, allow-mirrors-from refusals',
      src().withTargets('all'),
      {},
      ['app-1', 'app-2', 'open-to-platform', 'prod-a', 'team-b', 'team-c'],
    ],
    ['all-labeled: only opted-in, never system', src().withTargets('all-labeled'), {}, ['prod-a']],
    [
      'all minus excludes',
      src().withTargets('all,!team-*,!app-2'),
      {},
      ['app-1', 'open-to-platform', 'prod-a'],
    ],
    ['exclude beats an exact name', src().withTargets('app-1,!app-1'), {}, []],
    ['never the source namespace, even by name', src().withTargets('platform,app-1'), {}, ['app-1']],
    ['never a terminating namespace, even by name', src().withTargets('app-4'), {}, []],
    ['opt-out label blocks globs', src().withTargets('app-*'), {}, ['app-1', 'app-2']],
    ['opt-out label does not block an exact name', src().withTargets('app-3'), {}, ['app-3']],
    ['system namespace reachable by exact name', src().withTargets('kube-system'), {}, ['kube-system']],
    ['system namespace never reached by glob', src().withTargets('kube-*'), {}, []],
    [
      'system namespace by exact name still excluded by the controller',
      src().withTargets('kube-system'),
      { excludedNamespaces: ['kube-*'] },
      [],
    ],
    ['controller excluded (glob)', src().withTargets('app-*'), { excludedNamespaces: ['app-2'] }, ['app-1']],
    ['outside included', src().withTargets('app-1,team-b'), { includedNamespaces: ['team-*'] }, ['team-b']],
    ['allow-mirrors-from refuses other source namespaces', src().withTargets('locked'), {}, []],
    [
      'allow-mirrors-from admits a matching source namespace',
      src().withTargets('open-to-platform'),
      {},
      ['open-to-platform'],
    ],
    [
      'allow-mirrors-from admits by glob',
      aSource().inNamespace('infra-1').withTargets('locked'),
      {},
      ['locked'],
    ],
    ['blank allow-mirrors-from admits nobody', src().withTargets('nobody'), {}, []],
    ['selector', src().withSelector('env=prod'), {}, ['app-1']],
    [
      'selector never reaches system namespaces',
      src().withSelector('kubernetes.io/metadata.name=kube-public'),
      {},
      [],
    ],
    ['selector respects opt-out', src().withSelector('env in (prod)'), {}, ['app-1']],
    [
      'selector unioned with names',
      src().withSelector('env=staging').withTargets('team-c'),
      {},
      ['app-2', 'team-c'],
    ],
    ['selector minus excludes', src().withSelector('env').withTargets('!app-2'), {}, ['app-1']],
    ['no targets at all', src(), {}, []],
  ])('%s', (_name, b, p, expected) => {
    expect(targetsOf(b, p)).toEqual({ ok: true, targets: expected });
  });

  it('returns sorted targets regardless of namespace order', () => {
    const res = targetsOf(src().withTargets('all'), {}, [...cluster].reverse());
    expect(res.ok && res.targets).toEqual([
      'app-1',
      'app-2',
      'open-to-platform',
      'prod-a',
      'team-b',
      'team-c',
    ]);
  });

  it.each([
    [5, true],
    [6, true],
    [4, false],
  ])('max-targets boundary: 5 targets with max %i → ok=%s', (max, ok) => {
    const nss = ['a1', 'a2', 'a3', 'a4', 'a5'].map((n) => aNamespace(n).build());
    const res = targetsOf(src().withTargets('a*'), { maxTargets: max }, nss);
    expect(res.ok).toBe(ok);
    if (!res.ok)
      expect(res).toEqual({
        ok: false,
        reason: 'TooManyTargets',
        count: 5,
        message: '5 targets exceed max-targets 4',
      });
  });

  it('reports the count and limit in the message', () => {
    const nss = Array.from({ length: 140 }, (_, i) => aNamespace(`ns-${i}`).build());
    const res = targetsOf(src().withTargets('all'), {}, nss);
    expect(res).toEqual({
      ok: false,
      reason: 'TooManyTargets',
      count: 140,
      message: '140 targets exceed max-targets 100',
    });
  });

  it('refuses a spec with errors instead of resolving part of it', () => {
    const res = targetsOf(src().withTargets('app-1').withSelector('env in prod'));
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.reason).toBe('InvalidSpec');
      expect(res.message).toContain('target-namespace-selector');
    }
  });
});

describe('sourceWantsNamespace agrees with resolveTargets for every namespace', () => {
  it.each([['all'], ['app-*,!app-2'], ['all-labeled'], ['kube-system,locked,app-3'], ['team-[ab],prod-?']])(
    '%j',
    (targets) => {
      const s = src().withTargets(targets).withSelector('env=staging').build();
      const spec = readSourceSpec(s, keys);
      const res = resolveTargets(s, spec, cluster, policy);
      const one = cluster
        .filter((ns) => sourceWantsNamespace(s, spec, ns, policy))
        .map((n) => n.name)
        .sort();
      expect(res.ok && res.targets).toEqual(one);
    },
  );
});
