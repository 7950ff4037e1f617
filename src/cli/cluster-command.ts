import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { DEFAULT_CONFIG } from '../config/config.js';
import { mirrorKeys } from '../core/keys.js';
import { checkFlags } from './flag-problems.js';

export interface ClusterIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  env: Record<string, string | undefined>;
}

const USAGE = `Usage: kubemirror cluster add NAME --context CTX [--kubeconfig <path>] [--namespace <ns>]
                               [--annotation-prefix <prefix>]

Prints the Secret that registers cluster NAME with kubemirror (SPEC §8): labelled <prefix>/cluster: "true",
annotated <prefix>/cluster-name: NAME, holding under the key "kubeconfig" a kubeconfig with only context CTX,
its cluster and its user, every file it references (CA, client certificate and key, token file) inlined.
Apply it in the controller's namespace (--namespace, default kubemirror-system):
  kubemirror cluster add west --context west | kubectl apply -f -
The context should be a ServiceAccount bound to the least-privilege ClusterRole of deploy/remote/
(deploy/remote/make-kubeconfig.sh writes such a kubeconfig). The output holds credentials: pipe it, do not
paste it into tickets or logs.
`;

/** `kubemirror cluster add`: the registration Secret of one remote cluster, on stdout. */
export async function clusterCommand(argv: string[], io: ClusterIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout(USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'add') {
    // flags without a subcommand: name every bad one too, so one look fixes the whole line
    const check = sub.startsWith('-') ? checkFlags(argv, OPTIONS) : null;
    if (check?.help) {
      io.stdout(USAGE);
      return 0;
    }
    const problems = [
      sub.startsWith('-') ? 'a subcommand is needed (add)' : `unknown subcommand "${sub}"`,
      ...(check?.problems ?? []),
    ];
    io.stderr(`kubemirror cluster: ${problems.join('; ')}\n\n${USAGE}`);
    return 2;
  }
  const named = rest[0] !== undefined && !rest[0].startsWith('-');
  const name = named ? rest[0]! : '';
  const flags = named ? rest.slice(1) : rest;
  const check = checkFlags(flags, OPTIONS);
  if (check.help) {
    io.stdout(USAGE);
    return 0;
  }
  const problems = [...check.problems];
  if (!name) problems.push('a cluster NAME is needed');
  else if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name))
    problems.push(`cluster name "${name}" must be a DNS label (lowercase letters, digits and '-')`);
  if (!check.given.has('context')) problems.push('--context is required');
  if (problems.length > 0) {
    io.stderr(`kubemirror cluster add: ${problems.join('; ')}\n\n${USAGE}`);
    return 2;
  }
  const { values } = parseArgs({ args: flags, options: OPTIONS, strict: true });
  try {
    const kubeconfig = extractContext(values.kubeconfig ?? io.env.KUBECONFIG, values.context ?? '', name);
    const keys = mirrorKeys(values['annotation-prefix'] ?? DEFAULT_CONFIG.annotationPrefix);
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: `kubemirror-cluster-${name}`,
        namespace: values.namespace ?? 'kubemirror-system',
        labels: { [`${keys.prefix}/cluster`]: 'true' },
        annotations: { [`${keys.prefix}/cluster-name`]: name },
      },
      type: 'Opaque',
      data: { kubeconfig: Buffer.from(kubeconfig).toString('base64') },
    };
    io.stdout(stringify(secret));
    return 0;
  } catch (err) {
    // never the kubeconfig's content: only what went wrong
    io.stderr(`kubemirror cluster add: ${(err as Error).message}\n`);
    return 1;
  }
}

const OPTIONS = {
  context: { type: 'string' },
  kubeconfig: { type: 'string' },
  namespace: { type: 'string' },
  'annotation-prefix': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** A standalone kubeconfig holding one context (renamed NAME), with referenced files inlined. */
export function extractContext(path: string | undefined, context: string, name: string): string {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path.split(':')[0]!);
  else kc.loadFromDefault();
  const ctx = kc.getContextObject(context);
  if (!ctx)
    throw new Error(
      `context "${context}" not found (contexts: ${kc
        .getContexts()
        .map((c) => c.name)
        .join(', ')})`,
    );
  const cluster = kc.getCluster(ctx.cluster);
  if (!cluster)
    throw new Error(`context "${context}" names cluster "${ctx.cluster}", which is not in the kubeconfig`);
  const user = ctx.user ? kc.getUser(ctx.user) : null;
  const inline = (data: string | undefined, file: string | undefined, what: string): string | undefined => {
    if (data) return data;
    if (!file) return undefined;
    try {
      return readFileSync(file).toString('base64');
    } catch {
      throw new Error(`cannot read the ${what} file named by context "${context}"`);
    }
  };
  const clusterEntry: Record<string, unknown> = { server: cluster.server };
  const ca = inline(cluster.caData, cluster.caFile, 'certificate-authority');
  if (ca) clusterEntry['certificate-authority-data'] = ca;
  if (cluster.skipTLSVerify) clusterEntry['insecure-skip-tls-verify'] = true;
  if (cluster.tlsServerName) clusterEntry['tls-server-name'] = cluster.tlsServerName;
  const userEntry: Record<string, unknown> = {};
  if (user) {
    const cert = inline(user.certData, user.certFile, 'client-certificate');
    const key = inline(user.keyData, user.keyFile, 'client-key');
    if (cert) userEntry['client-certificate-data'] = cert;
    if (key) userEntry['client-key-data'] = key;
    if (user.token) userEntry.token = user.token;
    else if ((user as unknown as { tokenFile?: string }).tokenFile) {
      try {
        userEntry.token = readFileSync((user as unknown as { tokenFile: string }).tokenFile, 'utf8').trim();
      } catch {
        throw new Error(`cannot read the token file named by context "${context}"`);
      }
    }
    if (user.username) userEntry.username = user.username;
    if (user.password) userEntry.password = user.password;
    if (user.exec) userEntry.exec = user.exec;
    if (user.authProvider)
      throw new Error(
        `context "${context}" authenticates with an auth provider, which a Secret cannot carry: use a ServiceAccount token (deploy/remote/)`,
      );
  }
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': name,
    clusters: [{ name, cluster: clusterEntry }],
    users: [{ name, user: userEntry }],
    contexts: [
      {
        name,
        context: { cluster: name, user: name, ...(ctx.namespace ? { namespace: ctx.namespace } : {}) },
      },
    ],
  });
}
