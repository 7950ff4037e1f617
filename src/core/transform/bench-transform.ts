import type { KubeObject } from '../types.js';
import { compileTransform } from './compile-transform.js';

const RULES = `rules:
  - path: data.env
    template: "{{TargetNamespace}}"
  - path: data["app.url"]
    template: "https://{{SourceName}}.{{TargetNamespace}}.svc"
  - path: data.team
    template: '{{default "platform" TargetLabels.team}}'
  - path: data.upper
    template: "{{upper TargetNamespace}}"
  - path: data.region
    value: eu-west-1
  - path: data.replicas
    value: "3"
  - path: metadata.labels["app.kubernetes.io/name"]
    value: bench
  - path: metadata.annotations
    merge:
      owner: "{{TargetLabels.team}}"
      mirrored-from: "{{SourceNamespace}}/{{SourceName}}"
  - path: data.obsolete
    delete: true
  - path: data.prodOnly
    namespacePattern: "prod-*"
    value: "yes"
`;

/**
 * Milliseconds per mirror for a 10-rule transform on a small ConfigMap (compile excluded: it is cached).
 * Printed by `npm run bench` as `transformMsPerMirror`.
 */
export function benchTransform(iterations: number): number {
  const compiled = compileTransform(RULES, { prefix: 'kubemirror.io' });
  if (!compiled.ok) throw new Error(`bench transform does not compile: ${compiled.errors.join('; ')}`);
  const source: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'app-config', namespace: 'platform', labels: { app: 'web' }, annotations: {} },
    data: { 'config.yaml': 'a: 1\nb: 2\n', obsolete: 'x', region: 'us-east-1' },
  };
  const targets = Array.from({ length: 16 }, (_, i) => ({
    name: i % 2 === 0 ? `prod-${i}` : `dev-${i}`,
    labels: { team: `team-${i % 4}` },
  }));
  const run = (n: number) => {
    for (let i = 0; i < n; i++) {
      const t = targets[i % targets.length]!;
      compiled.program.apply(
        source,
        {
          targetNamespace: t.name,
          sourceNamespace: 'platform',
          sourceName: 'app-config',
          targetName: 'app-config',
          labels: source.metadata.labels ?? {},
          annotations: {},
          targetLabels: t.labels,
          targetAnnotations: {},
        },
        { strict: true },
      );
    }
  };
  run(Math.min(iterations, 200)); // warm up the JIT
  const start = performance.now();
  run(iterations);
  return (performance.now() - start) / Math.max(1, iterations);
}
