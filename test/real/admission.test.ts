import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { mirrorKeys } from '../../src/core/keys.js';
import { readSourceSpec } from '../../src/core/source-spec.js';
import type { KubeObject } from '../../src/core/types.js';
import type { ControlPlane } from '../control-plane/launcher.js';
import { RealHarness, startRealControlPlane } from '../helpers/real-harness.js';
import { kubectlPath } from '../helpers/tools.js';
import { waitFor } from '../helpers/wait.js';
import { configMap } from '../integration/scenarios.js';
import {
  find,
  helmTemplate,
  type K8sObject,
  kustomizeBuild,
  podSpec,
  repoRoot,
} from '../packaging/render.js';

/**
 * The guard rails at admission (SPEC §12) on the real kube-apiserver, with the real kubectl: the chart's two
 * ValidatingAdmissionPolicies, the controller running as the chart's ServiceAccount (exempt by its username), a
 * user `jane` (impersonated) who may edit ConfigMaps and Secrets, and `ops` of the exempt group `platform:break-glass`.
 * Warn first (the chart's default), then Deny. The messages asserted here are what kubectl prints to a user.
 */
const NS = 'kubemirror-system';
const BREAK_GLASS = 'platform:break-glass';
const RBAC_KINDS = new Set(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);
const ADMISSION_KINDS = new Set(['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']);
const MIRRORS = "ValidatingAdmissionPolicy 'kubemirror-mirrors' with binding 'kubemirror-mirrors'";
const SOURCES = "ValidatingAdmissionPolicy 'kubemirror-sources' with binding 'kubemirror-sources'";
const T = 'kubemirror.io/target-namespaces';
const keys = mirrorKeys();

let cp: ControlPlane;
let h: RealHarness;
/** holds the scratch directory (kubectl's cache, the YAML files, the editor) */
let scratch: RealHarness;
let dir: string;
let fileCount = 0;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real kubectl with the admin kubeconfig (`--as` impersonates); `env` e.g. KUBE_EDITOR. */
function kubectl(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      kubectlPath(),
      ['--kubeconfig', cp.kubeconfigPath, '--cache-dir', join(dir, 'kubectl-cache'), ...args],
      { cwd: repoRoot, env: { ...process.env, ...env }, timeout: 30_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function ok(args: string[]): Promise<string> {
  const r = await kubectl(args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

function yamlFile(objects: readonly object[]): string {
  const file = join(dir, `objects-${++fileCount}.yaml`);
  // YAML 1.1, as kubectl reads it: `yes` quoted, or kubectl itself would refuse the file as a boolean annotation
  writeFileSync(file, objects.map((o) => stringify(o, { version: '1.1' })).join('---\n'));
  return file;
}

const AS_JANE = ['--as', 'jane'];
const AS_OPS = ['--as', 'ops', '--as-group', BREAK_GLASS];

/** `kubectl edit` as a person does it, with an editor that changes `data.greeting` of the object. */
function editGreeting(args: string[], to: string): Promise<Run> {
  const editor = join(dir, 'edit-greeting.mjs');
  writeFileSync(
    editor,
    `import { readFileSync, writeFileSync } from 'node:fs';
const f = process.argv[2];
writeFileSync(f, readFileSync(f, 'utf8').replace(/^( {2}greeting: ).*$/m, '$1${to}'));
`,
  );
  // TMPDIR: kubectl keeps the edited file there when the server refuses it
  return kubectl(['edit', ...args], { KUBE_EDITOR: `${process.execPath} ${editor}`, TMPDIR: dir });
}

/** A hand-made object labelled as a mirror of adm-src/settings, in `ns`. */
function forged(ns: string, name: string, annotations: Record<string, string> = {}): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace: ns,
      labels: { [keys.mirror]: 'true' },
      annotations: { [keys.sourceNamespace]: 'adm-src', [keys.sourceName]: 'settings', ...annotations },
    } as K8sObject['metadata'],
    data: { greeting: 'forged' },
  };
}

async function setAction(binding: 'kubemirror-mirrors' | 'kubemirror-sources', action: 'Warn' | 'Deny') {
  await ok([
    'patch',
    'validatingadmissionpolicybinding',
    binding,
    '--type=merge',
    '-p',
    JSON.stringify({ spec: { validationActions: [action] } }),
  ]);
  await untilEffective(binding, action);
}

/** The API server applies a binding once its informer has it: probe with a server-side dry run until it does. */
async function untilEffective(binding: string, action: 'Warn' | 'Deny') {
  const probe =
    binding === 'kubemirror-mirrors'
      ? yamlFile([forged('adm-probe', 'probe')])
      : yamlFile([{ ...configMap('adm-probe', 'probe', { [keys.sync]: 'probe' }) }]);
  await waitFor(
    `${binding} in effect as ${action}`,
    () => kubectl(['apply', '--dry-run=server', '-f', probe, ...AS_JANE]),
    (r) =>
      action === 'Deny'
        ? r.code !== 0 && r.stderr.includes('denied request')
        : r.code === 0 && r.stderr.includes('Warning: Validation failed'),
    { timeoutMs: 30_000, intervalMs: 200 },
  );
}

const greetingOf = async (ns: string, name = 'settings') =>
  ((await h.kube.get('v1', 'ConfigMap', ns, name)) as { data?: Record<string, string> } | null)?.data
    ?.greeting;

beforeAll(async () => {
  cp = await startRealControlPlane();
  scratch = await RealHarness.start({ controlPlane: cp, controller: false });
  dir = scratch.tmpDir;
  for (const ns of [NS, 'adm-probe']) await ok(['create', 'namespace', ns]);
  // the chart's ServiceAccount, RBAC and admission policies (Warn, its default), break-glass group exempt
  const objects = helmTemplate(
    [],
    [
      '--set',
      'fullnameOverride=kubemirror',
      '--set',
      'controller.resourceTypes={Secret.v1,ConfigMap.v1}',
      '--set',
      `admissionPolicies.exemptGroups={${BREAK_GLASS}}`,
    ],
  );
  await ok([
    'apply',
    '-f',
    yamlFile(objects.filter((o) => RBAC_KINDS.has(o.kind) || ADMISSION_KINDS.has(o.kind))),
  ]);
  // jane and the break-glass group edit ConfigMaps and Secrets (the aggregated `edit` role needs a controller
  // this control plane does not run)
  await ok(['create', 'clusterrole', 'adm-editor', '--verb=*', '--resource=configmaps,secrets']);
  await ok(['create', 'clusterrolebinding', 'adm-jane', '--clusterrole=adm-editor', '--user=jane']);
  await ok(['create', 'clusterrolebinding', 'adm-ops', '--clusterrole=adm-editor', `--group=${BREAK_GLASS}`]);
  const token = (await ok(['create', 'token', 'kubemirror', '-n', NS, '--duration=2h'])).trim();
  const args = (podSpec(find(objects, 'Deployment')).containers[0]?.args ?? [])
    .filter((a) => a !== 'run')
    .filter((a) => !/^--(metrics|health-probe)-bind-address=/.test(a));
  h = await RealHarness.start({ controlPlane: cp, controllerKubeconfig: cp.kubeconfigForToken(token), args });
  await untilEffective('kubemirror-mirrors', 'Warn');
  await untilEffective('kubemirror-sources', 'Warn');
  for (const ns of ['adm-src', 'adm-a', 'adm-b']) await h.kube.namespace(ns);
  await h.kube.create(configMap('adm-src', 'settings', { [T]: 'adm-a,adm-b' }, { greeting: 'hello' }));
  await h.expectMirrorsIn('v1', 'ConfigMap', 'settings', ['adm-a', 'adm-b'], 30_000);
}, 300_000);

afterAll(async () => {
  await h?.stop();
  await scratch?.stop();
  await cp?.stop();
});

describe('mirrors, Warn (the default): the write goes through with a Warning naming the source', () => {
  it('kubectl edit of a mirror prints the warning, and the controller reverts the edit', async () => {
    const r = await editGreeting(['configmap', 'settings', '-n', 'adm-a', ...AS_JANE], 'edited');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `Warning: Validation failed for ${MIRRORS}: configmaps adm-a/settings is a mirror of adm-src/settings` +
        ' (kubemirror.io/source-namespace, kubemirror.io/source-name): kubemirror reverts changes made here;' +
        ' change the source instead',
    );
    expect(r.stdout).toContain('configmap/settings edited');
    await waitFor(
      'the edit reverted',
      () => greetingOf('adm-a'),
      (g) => g === 'hello',
      { timeoutMs: 30_000 },
    );
  });

  it('kubectl delete of a mirror prints the warning, and the controller re-creates it', async () => {
    const r = await kubectl(['delete', 'configmap', 'settings', '-n', 'adm-b', ...AS_JANE]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `Warning: Validation failed for ${MIRRORS}: configmaps adm-b/settings is a mirror of adm-src/settings` +
        ' (kubemirror.io/source-namespace, kubemirror.io/source-name): kubemirror re-creates it while the source' +
        ' targets this namespace; to remove it, change kubemirror.io/target-namespaces on the source or delete the source',
    );
    await h.expectMirrorsIn('v1', 'ConfigMap', 'settings', ['adm-a', 'adm-b'], 30_000);
  });

  it('the controller, exempt, never sees a warning: nothing about the policies in its log', () => {
    expect(h.logs.filter((l) => /ValidatingAdmissionPolicy|Validation failed/.test(l))).toEqual([]);
  });
});

describe('mirrors, Deny', () => {
  beforeAll(async () => {
    await setAction('kubemirror-mirrors', 'Deny');
  }, 60_000);

  it('kubectl edit of a mirror is refused with the message, and the mirror is unchanged', async () => {
    const r = await editGreeting(['configmap', 'settings', '-n', 'adm-a', ...AS_JANE], 'edited');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `configmaps "settings" is forbidden: ${MIRRORS} denied request: configmaps adm-a/settings is a mirror of` +
        ' adm-src/settings (kubemirror.io/source-namespace, kubemirror.io/source-name): kubemirror reverts changes' +
        ' made here; change the source instead',
    );
    expect(await greetingOf('adm-a')).toBe('hello');
  });

  it('kubectl delete of a mirror is refused, for an admin too', async () => {
    for (const as of [AS_JANE, []]) {
      const r = await kubectl(['delete', 'configmap', 'settings', '-n', 'adm-b', ...as]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `Error from server (Forbidden): configmaps "settings" is forbidden: ${MIRRORS} denied request:` +
          ' configmaps adm-b/settings is a mirror of adm-src/settings (kubemirror.io/source-namespace,' +
          ' kubemirror.io/source-name): kubemirror re-creates it while the source targets this namespace; to remove' +
          ' it, change kubemirror.io/target-namespaces on the source or delete the source\n',
      );
    }
    expect(await greetingOf('adm-b')).toBe('hello');
  });

  it('a forged mirror cannot be created', async () => {
    await h.kube.namespace('adm-c');
    const r = await kubectl(['apply', '-f', yamlFile([forged('adm-c', 'settings')]), ...AS_JANE]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `configmaps "settings" is forbidden: ${MIRRORS} denied request: only kubemirror writes objects labelled` +
        ' kubemirror.io/mirror=true; to mirror adm-src/settings here, add this namespace to' +
        ' kubemirror.io/target-namespaces on the source instead',
    );
    expect(await h.kube.get('v1', 'ConfigMap', 'adm-c', 'settings')).toBeNull();
  });

  it("a MirrorPolicy's mirror names the policy to change when someone tries to delete it", async () => {
    // kubemirror.io/policy: what the mirrors of a MirrorPolicy carry (SPEC §11)
    const governed = forged('adm-c', 'governed', { 'kubemirror.io/policy': 'pg-credentials' });
    await ok(['apply', '-f', yamlFile([governed]), ...AS_OPS]);
    const r = await kubectl(['delete', 'configmap', 'governed', '-n', 'adm-c', ...AS_JANE]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'configmaps adm-c/governed is a mirror of adm-src/settings (kubemirror.io/source-namespace,' +
        ' kubemirror.io/source-name): kubemirror re-creates it while the source targets this namespace; to remove it,' +
        ' change the targets of MirrorPolicy adm-src/pg-credentials or take the source out of its selection',
    );
    await ok(['delete', 'configmap', 'governed', '-n', 'adm-c', ...AS_OPS]);
  });

  it('a member of an exempt group may edit a mirror; the controller, exempt by its ServiceAccount, repairs it', async () => {
    const r = await editGreeting(['configmap', 'settings', '-n', 'adm-a', ...AS_OPS], 'break-glass');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('Warning');
    await waitFor(
      'the edit reverted',
      () => greetingOf('adm-a'),
      (g) => g === 'hello',
      { timeoutMs: 30_000 },
    );
  });

  it('the garbage collector finishes a foreground deletion of a mirror, and the controller writes it again', async () => {
    const before = (await h.kube.get('v1', 'ConfigMap', 'adm-a', 'settings'))?.metadata.uid;
    const r = await kubectl([
      'delete',
      'configmap',
      'settings',
      '-n',
      'adm-a',
      '--cascade=foreground',
      '--wait=false', // what kubectl would wait for is awaited below
      ...AS_OPS,
    ]);
    expect(r.code, r.stderr).toBe(0);
    await waitFor(
      'the mirror deleted (the garbage collector removed foregroundDeletion) and written again',
      async () => (await h.kube.get('v1', 'ConfigMap', 'adm-a', 'settings'))?.metadata.uid,
      (uid) => uid !== undefined && uid !== before,
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  });

  it('the controller cleans up: a namespace dropped from the source loses its mirror, a deleted source all of them', async () => {
    await h.kube.create(configMap('adm-src', 'cleanup', { [T]: 'adm-a,adm-b' }));
    await h.expectMirrorsIn('v1', 'ConfigMap', 'cleanup', ['adm-a', 'adm-b'], 30_000);
    await h.kube.mergePatch('v1', 'ConfigMap', 'adm-src', 'cleanup', {
      metadata: { annotations: { [T]: 'adm-a' } },
    });
    await h.expectMirrorsIn('v1', 'ConfigMap', 'cleanup', ['adm-a'], 30_000);
    await h.kube.delete('v1', 'ConfigMap', 'adm-src', 'cleanup');
    await h.expectMirrorsIn('v1', 'ConfigMap', 'cleanup', [], 30_000);
    await waitFor(
      'the source gone (finalizer removed)',
      () => h.kube.get('v1', 'ConfigMap', 'adm-src', 'cleanup'),
      (o) => o === null,
    );
  });

  it('a namespace with mirrors inside is deleted: the namespace controller may delete them', async () => {
    await h.kube.namespace('adm-del');
    await h.kube.create(configMap('adm-src', 'doomed', { [T]: 'adm-del,adm-a' }));
    await h.expectMirrorsIn('v1', 'ConfigMap', 'doomed', ['adm-a', 'adm-del'], 30_000);
    // with the controller down (it deletes the mirror of a terminating namespace itself), so that the namespace
    // controller is the one deleting it
    await h.whileStopped(async () => {
      await h.kube.delete('v1', 'Namespace', '', 'adm-del');
      await waitFor(
        'namespace adm-del deleted',
        () => h.kube.get('v1', 'Namespace', '', 'adm-del'),
        (o) => o === null,
        { timeoutMs: 40_000, intervalMs: 200 },
      );
    });
    await h.expectMirrorsIn('v1', 'ConfigMap', 'doomed', ['adm-a']);
  });

  it('no request of the controller was refused', async () => {
    const m = await h.running!.metrics.registry.getSingleMetric('kubemirror_api_requests_total')?.get();
    const refused = (m?.values ?? []).filter(
      (v) => ['403', '422'].includes(String(v.labels.code)) && v.value > 0,
    );
    expect(refused.map((v) => `${v.labels.verb} ${v.labels.resource} ${v.labels.code}`)).toEqual([]);
    expect(h.logs.filter((l) => /ValidatingAdmissionPolicy|Validation failed/.test(l))).toEqual([]);
  });
});

describe('sources', () => {
  const source = (name: string, annotations: Record<string, string>) =>
    configMap('adm-src', name, annotations, { k: 'v' });

  it('Warn: a malformed annotation is written with a Warning, and the controller reports it on the source', async () => {
    const r = await kubectl([
      'apply',
      '-f',
      yamlFile([source('warned', { [T]: 'adm-a,adm_b' })]),
      ...AS_JANE,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(
      `Warning: Validation failed for ${SOURCES}: kubemirror.io/target-namespaces: invalid entry "adm_b"; an entry` +
        ' is a namespace name, a glob (app-*, prod-?, team-[a-c]), !name or !glob to exclude, all or all-labeled\n',
    );
    await h.expectStatus('v1', 'ConfigMap', 'adm-src', 'warned', (l) => l.includes('adm_b'), 30_000);
  });

  describe('Deny', () => {
    beforeAll(async () => {
      await setAction('kubemirror-sources', 'Deny');
    }, 60_000);

    const refusals: [string, Record<string, string>, string][] = [
      ['sync', { [keys.sync]: 'yes' }, 'kubemirror.io/sync must be "true" or "false", not "yes"'],
      [
        'transform-strict',
        { [keys.transformStrict]: 'True' },
        'kubemirror.io/transform-strict must be "true" or "false", not "True"',
      ],
      [
        'target-namespaces',
        { [T]: 'app-*, app_1, team-[b-a], !, ALL' },
        'kubemirror.io/target-namespaces: invalid entries "app_1", "team-[b-a]", "!", "ALL"; an entry is a namespace' +
          ' name, a glob (app-*, prod-?, team-[a-c]), !name or !glob to exclude, all or all-labeled',
      ],
      [
        'target-clusters',
        { [keys.targetClusters]: 'local, west_1' },
        'kubemirror.io/target-clusters: invalid entry "west_1"; an entry is a cluster name (local is this cluster)' +
          ' or a glob (west-*)',
      ],
      [
        'transform',
        { [keys.transform]: `rules: []\n#${'x'.repeat(10_240)}` },
        'kubemirror.io/transform is 10251 bytes, over the 10240-byte limit',
      ],
    ];
    for (const [what, annotations, message] of refusals) {
      it(`a malformed ${what} is refused with the message kubectl prints`, async () => {
        const r = await kubectl(['apply', '-f', yamlFile([source(`bad-${what}`, annotations)]), ...AS_JANE]);
        expect(r.code).toBe(1);
        expect(r.stderr).toBe(
          `The configmaps "bad-${what}" is invalid: : ${SOURCES} denied request: ${message}\n`,
        );
        expect(await h.kube.get('v1', 'ConfigMap', 'adm-src', `bad-${what}`)).toBeNull();
      });
    }

    it('a valid source is accepted without a warning, and mirrored', async () => {
      const valid = source('valid', {
        [T]: 'adm-a, !adm-legacy, adm-[a-c], adm-?, all-labeled',
        [keys.targetClusters]: 'local,west-*',
        [keys.transformStrict]: 'false',
        [keys.transform]: 'rules:\n  - path: data.k\n    value: w\n',
      });
      const r = await kubectl(['apply', '-f', yamlFile([valid]), ...AS_JANE]);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      await h.expectMirrorsIn('v1', 'ConfigMap', 'valid', ['adm-a', 'adm-b', 'adm-c'], 30_000);
    });

    it('only what a write changes is checked: an old malformed source can be updated and turned off', async () => {
      // `warned` was written under Warn with target-namespaces adm-a,adm_b
      expect(
        (await kubectl(['label', 'configmap', 'warned', '-n', 'adm-src', 'team=x', ...AS_JANE])).code,
      ).toBe(0);
      const worse = await kubectl([
        'annotate',
        '--overwrite',
        'configmap',
        'warned',
        '-n',
        'adm-src',
        `${T}=adm_c`,
        ...AS_JANE,
      ]);
      expect(worse.code).toBe(1);
      expect(worse.stderr).toContain('invalid entry "adm_c"');
      const off = await kubectl([
        'annotate',
        'configmap',
        'warned',
        '-n',
        'adm-src',
        `${keys.sync}-`,
        ...AS_JANE,
      ]);
      expect(off.code, off.stderr).toBe(0);
    });

    it('the policy refuses exactly what the controller refuses', async () => {
      const namespaces = [
        'app-1',
        'app-*',
        'app-?',
        'team-[ab]',
        'team-[a-c]',
        'team-[!a]',
        'team-[^a]',
        '[-]x',
        '*',
        '-*',
        'all',
        'all-labeled',
        '!app-legacy',
        '! app-legacy',
        '!app-*',
        '!team-[b-a]',
        `!${'a'.repeat(80)}`,
        'a'.repeat(63),
        'a'.repeat(64),
        ' app-1 , app-2 ',
        ',,',
        '',
        '\u00a0app-1\u3000,\ufeffapp-2\u2028',
        '\u0085app-1',
        'app_1',
        'App',
        'ALL',
        'app.1',
        '-app',
        'app-',
        'team-[ba]',
        'team-[b-a]',
        'team-[a-z-0]',
        'team-[a--]',
        'team-[]',
        'team-[!]',
        'team-[!!]',
        'team-[ab',
        'team-]',
        'a[[b]',
        '!',
        '!!a',
        'app-*,app_1',
      ];
      const clusters = [
        'local',
        'west',
        'west-*',
        'local, west-?',
        'west_1',
        '!east',
        'a'.repeat(64),
        'West',
        ' , ',
      ];
      const cases = [
        ...namespaces.map((v) => ({ [T]: v })),
        ...clusters.map((v) => ({ [keys.targetClusters]: v })),
      ];
      const disagreements: string[] = [];
      for (const [i, annotations] of cases.entries()) {
        const obj: KubeObject = source(`table-${i}`, annotations);
        const controllerRefuses = readSourceSpec(obj, keys).errors.length > 0;
        let policyRefuses = false;
        try {
          await h.kube.api.create(obj as never, undefined, 'All');
        } catch (err) {
          if ((err as { code?: number }).code !== 422) throw err;
          policyRefuses = true;
        }
        if (policyRefuses !== controllerRefuses)
          disagreements.push(
            `${JSON.stringify(annotations)}: policy ${policyRefuses}, controller ${controllerRefuses}`,
          );
      }
      expect(disagreements).toEqual([]);
    });

    it('the transform limit counts UTF-8 bytes, and a blank transform (which the controller ignores) passes', async () => {
      const verdict = async (name: string, transform: string) => {
        try {
          await h.kube.api.create(source(name, { [keys.transform]: transform }) as never, undefined, 'All');
          return 'accepted';
        } catch (err) {
          return (err as { code?: number }).code === 422 ? 'refused' : String(err);
        }
      };
      expect(await verdict('t1', `#${'x'.repeat(10_239)}`)).toBe('accepted');
      expect(await verdict('t2', `#${'x'.repeat(10_240)}`)).toBe('refused');
      expect(await verdict('t3', `#${'é'.repeat(5_120)}`)).toBe('refused'); // 5,121 characters, 10,241 bytes
      expect(await verdict('t4', ' '.repeat(20_000))).toBe('accepted');
    });
  });
});

describe('every rendered variant is accepted by the API server (which refuses a policy whose CEL does not compile)', () => {
  const admissionOf = (objects: K8sObject[]) => objects.filter((o) => ADMISSION_KINDS.has(o.kind));
  const longPrefix = [
    `${'a'.repeat(61)}-x`,
    `${'b'.repeat(61)}-y`,
    `${'c'.repeat(61)}-z`,
    'example',
    'com',
  ].join('.');
  const variants: [string, () => K8sObject[]][] = [
    ['the defaults', () => helmTemplate()],
    [
      'the KubeMirror prefix',
      () => helmTemplate([], ['--set', 'controller.annotationPrefix=kubemirror.raczylo.com']),
    ],
    [
      `a ${longPrefix.length}-character prefix`,
      () => helmTemplate([], ['--set', `controller.annotationPrefix=${longPrefix}`]),
    ],
    [
      'a prefix of digits and dashes',
      () => helmTemplate([], ['--set', 'controller.annotationPrefix=0.a-b.c9']),
    ],
    [
      'Deny, odd exempt users and groups, a 1-byte transform limit',
      () =>
        helmTemplate(
          [],
          [
            '--set',
            'admissionPolicies.action=Deny',
            '--set-json',
            `admissionPolicies.exemptGroups=${JSON.stringify(["o'k", 'a"b', 'back\\slash', 'ünï'])}`,
            '--set-json',
            `admissionPolicies.exemptUsers=${JSON.stringify(['system:serviceaccount:x:y', '$(x)', '{{x}}'])}`,
            '--set',
            'controller.transformMaxBytes=1',
          ],
        ),
    ],
    ['every setting changed (explicit-types.yaml)', () => helmTemplate(['explicit-types.yaml'])],
    ['an existing ServiceAccount (single-replica.yaml)', () => helmTemplate(['single-replica.yaml'])],
    ['the kustomize component', () => kustomizeBuild()],
  ];
  for (const [name, render] of variants) {
    it(name, async () => {
      const objects = admissionOf(render());
      expect(objects.map((o) => o.kind).sort()).toEqual([
        'ValidatingAdmissionPolicy',
        'ValidatingAdmissionPolicy',
        'ValidatingAdmissionPolicyBinding',
        'ValidatingAdmissionPolicyBinding',
      ]);
      const r = await kubectl(['apply', '--dry-run=server', '-f', yamlFile(objects)]);
      expect(r.code, r.stderr).toBe(0);
    });
  }

  it('rendered for the KubeMirror prefix, the policies protect kubemirror.raczylo.com/* keys', async () => {
    const objects = admissionOf(
      helmTemplate(
        [],
        [
          '--set',
          'fullnameOverride=compat',
          '--set',
          'controller.annotationPrefix=kubemirror.raczylo.com',
          '--set',
          'admissionPolicies.action=Deny',
        ],
      ),
    );
    await ok(['apply', '-f', yamlFile(objects)]);
    const compat = (o: K8sObject): K8sObject => {
      const m = o.metadata as unknown as { annotations: Record<string, string> };
      return {
        ...o,
        metadata: {
          ...o.metadata,
          labels: { 'kubemirror.raczylo.com/mirror': 'true' },
          annotations: Object.fromEntries(
            Object.entries(m.annotations).map(([k, v]) => [
              k.replace('kubemirror.io/', 'kubemirror.raczylo.com/'),
              v,
            ]),
          ),
        } as K8sObject['metadata'],
      };
    };
    const file = yamlFile([compat(forged('adm-probe', 'compat'))]);
    await waitFor(
      'the compat policy refuses a forged kubemirror.raczylo.com mirror',
      () => kubectl(['apply', '--dry-run=server', '-f', file, ...AS_JANE]),
      (r) =>
        r.code === 1 &&
        r.stderr.includes(
          "ValidatingAdmissionPolicy 'compat-mirrors' with binding 'compat-mirrors' denied request: only kubemirror" +
            ' writes objects labelled kubemirror.raczylo.com/mirror=true; to mirror adm-src/settings here, add this' +
            ' namespace to kubemirror.raczylo.com/target-namespaces on the source instead',
        ),
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const src = yamlFile([
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'compat-src',
          namespace: 'adm-probe',
          annotations: { 'kubemirror.raczylo.com/sync': 'yes' },
        },
      },
    ]);
    await waitFor(
      'the compat policy refuses kubemirror.raczylo.com/sync: yes',
      () => kubectl(['apply', '--dry-run=server', '-f', src, ...AS_JANE]),
      (r) =>
        r.code === 1 &&
        r.stderr.includes(
          "ValidatingAdmissionPolicy 'compat-sources' with binding 'compat-sources' denied request:" +
            ' kubemirror.raczylo.com/sync must be "true" or "false", not "yes"',
        ),
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    await ok(['delete', '-f', yamlFile(objects)]);
  });
});
