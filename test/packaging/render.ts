import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { helmPath, kubectlPath } from '../helpers/tools.js';

/** Rendering helpers shared by the packaging tests: the real helm and kubectl, output parsed with `yaml`. */
export const repoRoot = resolve(import.meta.dirname, '..', '..');
export const chartDir = resolve(repoRoot, 'charts', 'kubemirror');
export const valuesDir = resolve(import.meta.dirname, 'values');

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(bin: string, args: string[]): RunResult {
  const res = spawnSync(bin, args, { cwd: repoRoot, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (res.error) throw res.error;
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

export function parseObjects(yamlText: string): K8sObject[] {
  return parseAllDocuments(yamlText)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null && typeof o === 'object' && 'kind' in o);
}

/** `helm template km charts/kubemirror -n kubemirror-system [-f values/<file>]...`; throws with helm's message. */
export function helmTemplate(valuesFiles: string[] = [], extra: string[] = []): K8sObject[] {
  const args = ['template', 'km', chartDir, '--namespace', 'kubemirror-system'];
  for (const f of valuesFiles) args.push('-f', resolve(valuesDir, f));
  const res = run(helmPath(), [...args, ...extra]);
  if (res.status !== 0) throw new Error(`helm template failed: ${res.stderr}`);
  return parseObjects(res.stdout);
}

export function kustomizeBuild(dir = resolve(repoRoot, 'deploy')): K8sObject[] {
  const res = run(kubectlPath(), ['kustomize', dir]);
  if (res.status !== 0) throw new Error(`kubectl kustomize failed: ${res.stderr}`);
  return parseObjects(res.stdout);
}

export function find(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) {
    throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  }
  return found[0]!;
}

export interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  ports?: { name: string; containerPort: number }[];
  livenessProbe?: { httpGet: { path: string; port: string | number } };
  readinessProbe?: { httpGet: { path: string; port: string | number } };
  securityContext?: Record<string, unknown>;
  resources?: Record<string, unknown>;
}

export interface PodSpec {
  serviceAccountName?: string;
  securityContext?: Record<string, unknown>;
  containers: Container[];
  priorityClassName?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: unknown[];
  affinity?: unknown;
}

export function podSpec(deployment: K8sObject): PodSpec {
  return (deployment as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
}

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
}

export function rules(role: K8sObject): PolicyRule[] {
  return (role as unknown as { rules: PolicyRule[] }).rules;
}
