import { KINDS, type KindSpec } from './kinds.js';
import { item, setupCreate } from './steps.js';
import type { Case, CaseContext, KubectlStep, Step } from './types.js';

/**
 * What a kubectl user does, with the real kubectl against each server: `kubectl create <generator>` (which sends
 * protobuf bodies), apply, label, annotate, get (Tables), delete, scale, rollout, set image, api-resources.
 */

const kind = (id: string): KindSpec => KINDS.find((k) => k.id === id)!;

const kubectl = (
  label: string,
  args: string[] | ((ctx: CaseContext) => string[]),
  extra: Partial<KubectlStep> = {},
): KubectlStep => ({
  type: 'kubectl',
  label,
  args,
  ...extra,
});

function kubectlCase(variant: string, steps: Step[], readBack?: string[]): Case {
  return {
    id: `kubectl/${variant}`,
    verb: 'kubectl',
    kind: 'kubectl',
    variant,
    steps,
    ...(readBack ? { readBack } : {}),
  };
}

const MANIFEST = (data: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: applied
  labels: {app: fid}
data:
  key: ${data}
`;

/** `kubectl create <generator>`: the object kubectl builds and sends as protobuf, then what was stored */
function generatorCases(): Case[] {
  const gen: [string, string[], string][] = [
    ['namespace', ['create', 'namespace', '{ns}-k'], '/api/v1/namespaces/{ns}-k'],
    [
      'configmap',
      ['create', 'configmap', 'cm', '-n', '{ns}', '--from-literal=a=1', '--from-literal=b=two'],
      '/api/v1/namespaces/{ns}/configmaps/cm',
    ],
    [
      'secret-generic',
      ['create', 'secret', 'generic', 's', '-n', '{ns}', '--from-literal=user=demo'],
      '/api/v1/namespaces/{ns}/secrets/s',
    ],
    [
      'secret-docker-registry',
      [
        'create',
        'secret',
        'docker-registry',
        'd',
        '-n',
        '{ns}',
        '--docker-server=registry.example.com',
        '--docker-username=u',
        '--docker-password=p',
      ],
      '/api/v1/namespaces/{ns}/secrets/d',
    ],
    [
      'service-clusterip',
      ['create', 'service', 'clusterip', 'svc', '-n', '{ns}', '--tcp=80:8080'],
      '/api/v1/namespaces/{ns}/services/svc',
    ],
    [
      'service-headless',
      ['create', 'service', 'clusterip', 'headless', '-n', '{ns}', '--clusterip=None'],
      '/api/v1/namespaces/{ns}/services/headless',
    ],
    [
      'service-externalname',
      ['create', 'service', 'externalname', 'ext', '-n', '{ns}', '--external-name=db.example.com'],
      '/api/v1/namespaces/{ns}/services/ext',
    ],
    [
      'service-nodeport',
      ['create', 'service', 'nodeport', 'np', '-n', '{ns}', '--tcp=80:8080'],
      '/api/v1/namespaces/{ns}/services/np',
    ],
    [
      'service-loadbalancer',
      ['create', 'service', 'loadbalancer', 'lb', '-n', '{ns}', '--tcp=80:8080'],
      '/api/v1/namespaces/{ns}/services/lb',
    ],
    [
      'deployment',
      [
        'create',
        'deployment',
        'web',
        '-n',
        '{ns}',
        '--image=registry.example.com/web:1',
        '--replicas=2',
        '--port=8080',
      ],
      '/apis/apps/v1/namespaces/{ns}/deployments/web',
    ],
    [
      'poddisruptionbudget',
      ['create', 'poddisruptionbudget', 'pdb', '-n', '{ns}', '--selector=app=web', '--min-available=1'],
      '/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets/pdb',
    ],
    [
      'poddisruptionbudget-percent',
      ['create', 'pdb', 'pdb', '-n', '{ns}', '--selector=app=web', '--max-unavailable=50%'],
      '/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets/pdb',
    ],
    [
      'role',
      ['create', 'role', 'r', '-n', '{ns}', '--verb=get,list', '--resource=configmaps'],
      '/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles/r',
    ],
    [
      'rolebinding',
      ['create', 'rolebinding', 'rb', '-n', '{ns}', '--role=r', '--user=alice', '--serviceaccount={ns}:sa'],
      '/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings/rb',
    ],
    [
      'clusterrole',
      ['create', 'clusterrole', '{ns}-cr', '--verb=get', '--resource=configmaps', '--resource-name=x'],
      '/apis/rbac.authorization.k8s.io/v1/clusterroles/{ns}-cr',
    ],
    [
      'clusterrolebinding',
      ['create', 'clusterrolebinding', '{ns}-crb', '--clusterrole=view', '--group=team'],
      '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/{ns}-crb',
    ],
    [
      'job',
      ['create', 'job', 'j', '-n', '{ns}', '--image=busybox:1', '--', 'echo', 'hi'],
      '/apis/batch/v1/namespaces/{ns}/jobs/j',
    ],
    [
      'cronjob',
      ['create', 'cronjob', 'cj', '-n', '{ns}', '--image=busybox:1', '--schedule=*/5 * * * *', '--', 'date'],
      '/apis/batch/v1/namespaces/{ns}/cronjobs/cj',
    ],
    [
      'ingress',
      ['create', 'ingress', 'ing', '-n', '{ns}', '--rule=example.com/path*=svc:80', '--class=nginx'],
      '/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses/ing',
    ],
    [
      'priorityclass',
      ['create', 'priorityclass', '{ns}-pc', '--value=1000', '--description=fidelity'],
      '/apis/scheduling.k8s.io/v1/priorityclasses/{ns}-pc',
    ],
    [
      'serviceaccount',
      ['create', 'serviceaccount', 'sa', '-n', '{ns}'],
      '/api/v1/namespaces/{ns}/serviceaccounts/sa',
    ],
    [
      'quota',
      ['create', 'quota', 'q', '-n', '{ns}', '--hard=pods=5'],
      '/api/v1/namespaces/{ns}/resourcequotas/q',
    ],
    [
      'configmap-bad-key',
      ['create', 'configmap', 'bad', '-n', '{ns}', '--from-literal=bad key=1'],
      '/api/v1/namespaces/{ns}/configmaps/bad',
    ],
    [
      'deployment-bad-name',
      ['create', 'deployment', 'Bad_Name', '-n', '{ns}', '--image=x'],
      '/apis/apps/v1/namespaces/{ns}/deployments/Bad_Name',
    ],
    [
      'pdb-dry-run-server',
      [
        'create',
        'pdb',
        'dry',
        '-n',
        '{ns}',
        '--selector=app=web',
        '--min-available=1',
        '--dry-run=server',
        '-o',
        'yaml',
      ],
      '/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets/dry',
    ],
    [
      'deployment-dry-run-server',
      ['create', 'deployment', 'dry', '-n', '{ns}', '--image=x', '--dry-run=server', '-o', 'json'],
      '/apis/apps/v1/namespaces/{ns}/deployments/dry',
    ],
  ];
  const out = gen.map(([name, args, back]) =>
    kubectlCase(`create ${name}`, [kubectl(`kubectl create ${name}`, args)], [back]),
  );
  out.push(
    kubectlCase(
      'create secret tls',
      [
        kubectl('kubectl create secret tls', (ctx) => [
          'create',
          'secret',
          'tls',
          't',
          '-n',
          ctx.ns,
          `--cert=${ctx.fixtures}/tls.crt`,
          `--key=${ctx.fixtures}/tls.key`,
        ]),
      ],
      ['/api/v1/namespaces/{ns}/secrets/t'],
    ),
  );
  return out;
}

/** kubectl's other everyday commands */
function commandCases(): Case[] {
  const cm = kind('ConfigMap');
  const deploy = kind('Deployment');
  const applied = '/api/v1/namespaces/{ns}/configmaps/applied';
  return [
    kubectlCase(
      'apply',
      [kubectl('kubectl apply', ['apply', '-n', '{ns}', '-f', '-'], { stdin: MANIFEST('one') })],
      [applied],
    ),
    kubectlCase(
      'apply-again',
      [
        kubectl('setup apply', ['apply', '-n', '{ns}', '-f', '-'], { stdin: MANIFEST('one'), setup: true }),
        kubectl('kubectl apply', ['apply', '-n', '{ns}', '-f', '-'], { stdin: MANIFEST('two') }),
      ],
      [applied],
    ),
    kubectlCase(
      'apply-server-side',
      [
        kubectl('kubectl apply --server-side', ['apply', '--server-side', '-n', '{ns}', '-f', '-'], {
          stdin: MANIFEST('one'),
        }),
      ],
      [applied],
    ),
    kubectlCase(
      'apply-server-side-conflict',
      [
        kubectl('setup apply', ['apply', '--server-side', '--field-manager=first', '-n', '{ns}', '-f', '-'], {
          stdin: MANIFEST('one'),
          setup: true,
        }),
        kubectl(
          'kubectl apply --server-side',
          ['apply', '--server-side', '--field-manager=second', '-n', '{ns}', '-f', '-'],
          {
            stdin: MANIFEST('two'),
          },
        ),
      ],
      [applied],
    ),
    kubectlCase(
      'apply-invalid',
      [
        kubectl('kubectl apply', ['apply', '-n', '{ns}', '-f', '-'], {
          stdin: 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: broken\nspec: {}\n',
        }),
      ],
      ['/apis/apps/v1/namespaces/{ns}/deployments/broken'],
    ),
    kubectlCase(
      'create-f-unknown-field',
      [
        kubectl('kubectl create -f', ['create', '-n', '{ns}', '-f', '-'], {
          stdin: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata: {a: b}\nbogus: 1\n',
        }),
      ],
      ['/api/v1/namespaces/{ns}/configmaps/x'],
    ),
    kubectlCase('get', [setupCreate(cm), kubectl('kubectl get', ['get', 'configmaps', '-n', '{ns}'])]),
    kubectlCase('get-wide-labels', [
      setupCreate(cm),
      kubectl('kubectl get', ['get', 'cm', '-n', '{ns}', '-o', 'wide', '--show-labels']),
    ]),
    kubectlCase('get-yaml', [
      setupCreate(cm),
      kubectl('kubectl get -o yaml', ['get', 'cm', 'obj', '-n', '{ns}', '-o', 'yaml']),
    ]),
    kubectlCase('get-missing', [kubectl('kubectl get', ['get', 'cm', 'nothing', '-n', '{ns}'])]),
    kubectlCase('get-deployments', [
      setupCreate(deploy),
      kubectl('kubectl get', ['get', 'deployments', '-n', '{ns}']),
    ]),
    kubectlCase(
      'get-services',
      [setupCreate(kind('Service')), kubectl('kubectl get', ['get', 'svc', '-n', '{ns}'])],
      [],
    ),
    kubectlCase('get-widgets', [
      setupCreate(kind('Widget')),
      kubectl('kubectl get', ['get', 'widgets', '-n', '{ns}']),
    ]),
    kubectlCase('get-pdb', [
      setupCreate(kind('PodDisruptionBudget')),
      kubectl('kubectl get', ['get', 'pdb', '-n', '{ns}']),
    ]),
    kubectlCase('get-leases', [
      setupCreate(kind('Lease')),
      kubectl('kubectl get', ['get', 'leases', '-n', '{ns}']),
    ]),
    kubectlCase('get-secrets', [
      setupCreate(kind('Secret')),
      kubectl('kubectl get', ['get', 'secrets', '-n', '{ns}']),
    ]),
    kubectlCase('get-events', [
      setupCreate(kind('Event')),
      kubectl('kubectl get', ['get', 'events', '-n', '{ns}']),
    ]),
    kubectlCase('get-endpointslices', [
      setupCreate(kind('EndpointSlice')),
      kubectl('kubectl get', ['get', 'endpointslices', '-n', '{ns}']),
    ]),
    kubectlCase(
      'label',
      [setupCreate(cm), kubectl('kubectl label', ['label', 'cm', 'obj', '-n', '{ns}', 'tier=web'])],
      [item(cm, 'obj')],
    ),
    kubectlCase('label-overwrite-refused', [
      setupCreate(cm),
      kubectl('kubectl label', ['label', 'cm', 'obj', '-n', '{ns}', 'app=other']),
    ]),
    kubectlCase('label-invalid', [
      setupCreate(cm),
      kubectl('kubectl label', ['label', 'cm', 'obj', '-n', '{ns}', 'bad key=x']),
    ]),
    kubectlCase(
      'annotate',
      [setupCreate(cm), kubectl('kubectl annotate', ['annotate', 'cm', 'obj', '-n', '{ns}', 'note=hello'])],
      [item(cm, 'obj')],
    ),
    kubectlCase(
      'delete',
      [setupCreate(cm), kubectl('kubectl delete', ['delete', 'cm', 'obj', '-n', '{ns}'])],
      [item(cm, 'obj')],
    ),
    kubectlCase('delete-missing', [kubectl('kubectl delete', ['delete', 'cm', 'nothing', '-n', '{ns}'])]),
    kubectlCase('delete-all', [
      setupCreate(cm),
      setupCreate(cm, 'two'),
      kubectl('kubectl delete', ['delete', 'cm', '--all', '-n', '{ns}']),
    ]),
    kubectlCase(
      'scale',
      [
        setupCreate(deploy),
        kubectl('kubectl scale', ['scale', 'deployment', 'obj', '-n', '{ns}', '--replicas=3']),
      ],
      [item(deploy, 'obj')],
    ),
    kubectlCase('rollout-restart', [
      setupCreate(deploy),
      kubectl('kubectl rollout restart', ['rollout', 'restart', 'deployment', 'obj', '-n', '{ns}']),
    ]),
    kubectlCase(
      'set-image',
      [
        setupCreate(deploy),
        kubectl('kubectl set image', [
          'set',
          'image',
          'deployment/obj',
          '-n',
          '{ns}',
          'app=registry.example.com/app:9',
        ]),
      ],
      [item(deploy, 'obj')],
    ),
    kubectlCase('create-token', [
      kubectl('kubectl create token', ['create', 'token', 'default', '-n', '{ns}'], { stdout: 'ignore' }),
    ]),
    kubectlCase('explain', [kubectl('kubectl explain', ['explain', 'configmap.data'])]),
    kubectlCase('api-resources', [kubectl('kubectl api-resources', ['api-resources', '--api-group=policy'])]),
  ];
}

/** events.k8s.io/v1 and core/v1 Events are one storage, converted on the way in and out */

export function kubectlCases(): Case[] {
  return [...generatorCases(), ...commandCases()];
}
