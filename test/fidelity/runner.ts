import { createHash } from 'node:crypto';
import { stringify as toYaml } from 'yaml';
import { compareAnswers, type Difference } from './compare.js';
import { Normaliser } from './normalise.js';
import { runKubectl, send, type Target } from './transport.js';
import type { Answer, Case, CaseContext, HttpStep, Step } from './types.js';

/** What one case came to: agreement, or the differences (a case that could not run is one difference). */
export interface CaseResult {
  case: Case;
  namespace: string;
  differences: Difference[];
  /** both servers' normalised answers, step by step then the read-backs (for a closer look at a disagreement) */
  trace?: { step: string; real: Answer; sandbox: Answer }[];
}

/** The namespace of a case: derived from its id, so a case's answers do not depend on its position or its peers. */
export function caseNamespace(id: string, salt = ''): string {
  return `fc-${createHash('sha256')
    .update(salt + id)
    .digest('hex')
    .slice(0, 10)}`;
}

const dyn = <T>(v: T | ((ctx: CaseContext) => T), ctx: CaseContext): T =>
  typeof v === 'function' ? (v as (ctx: CaseContext) => T)(ctx) : v;

const subst = (s: string, ctx: CaseContext) => s.split('{ns}').join(ctx.ns);

function encodeBody(step: HttpStep, body: unknown): { bytes: Buffer; type: string } | undefined {
  if (body === undefined) return undefined;
  const type = step.contentType ?? 'application/json';
  if (Buffer.isBuffer(body)) return { bytes: body, type };
  if (typeof body === 'string') return { bytes: Buffer.from(body, 'utf8'), type };
  const text = type.includes('yaml') ? toYaml(body) : JSON.stringify(body);
  return { bytes: Buffer.from(text, 'utf8'), type };
}

function queryString(q: Record<string, string | string[]> | undefined, ctx: CaseContext): string {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q))
    for (const x of Array.isArray(v) ? v : [v]) p.append(k, subst(x, ctx));
  const s = p.toString();
  return s ? `?${s}` : '';
}

async function runStep(target: Target, step: Step, ctx: CaseContext): Promise<Answer> {
  if (step.type === 'kubectl') {
    const args = dyn(step.args, ctx).map((a) => subst(a, ctx));
    const stdin = step.stdin === undefined ? undefined : subst(dyn(step.stdin, ctx), ctx);
    const r = await runKubectl(target, args, stdin);
    return { code: r.exit === 0 ? 200 : 500, warnings: [], kubectl: r };
  }
  const body = encodeBody(step, dyn(step.body, ctx));
  const headers: Record<string, string> = {};
  if (body) headers['Content-Type'] = body.type;
  if (step.accept) headers.Accept = step.accept;
  return send(target, {
    method: step.method,
    url: subst(dyn(step.path, ctx), ctx) + queryString(dyn(step.query, ctx), ctx),
    headers,
    ...(body ? { body: body.bytes } : {}),
    ...(step.watchMs !== undefined ? { watchMs: step.watchMs } : {}),
  });
}

function remember(ctx: CaseContext, a: Answer): void {
  ctx.bodies.push(a.body);
  const meta = (a.body as { metadata?: { uid?: unknown } } | undefined)?.metadata;
  if (meta && typeof meta.uid === 'string') ctx.last = meta as CaseContext['last'];
}

interface Run {
  answers: Answer[];
  readBack: Answer[];
  failedSetup?: string;
}

/** One case on one server: its namespace, its steps in order, then the read-backs. */
async function runOn(target: Target, c: Case, ns: string, fixtures: string): Promise<Run> {
  const ctx: CaseContext = { ns, fixtures, bodies: [], last: undefined };
  const created = await send(target, {
    method: 'POST',
    url: '/api/v1/namespaces',
    headers: { 'Content-Type': 'application/json' },
    body: Buffer.from(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })),
  });
  if (created.code !== 201) return { answers: [], readBack: [], failedSetup: `namespace: ${created.code}` };
  const run: Run = { answers: [], readBack: [] };
  for (const step of c.steps) {
    const a = await runStep(target, step, ctx);
    remember(ctx, a);
    run.answers.push(a);
    if (step.setup && (a.code < 200 || a.code >= 300)) {
      run.failedSetup = `${step.label}: ${a.code} ${JSON.stringify(a.body ?? a.kubectl).slice(0, 300)}`;
      return run;
    }
  }
  for (const path of c.readBack ?? []) {
    run.readBack.push(await send(target, { method: 'GET', url: subst(dyn(path, ctx), ctx), headers: {} }));
  }
  return run;
}

/** Runs one case on both servers at once and compares every step that is not setup, then the read-backs. */
export async function runCase(
  c: Case,
  real: Target,
  sandbox: Target,
  opts: { fixtures: string; salt?: string },
): Promise<CaseResult> {
  const namespace = caseNamespace(c.id, opts.salt);
  const fixtures = opts.fixtures;
  const [r, s] = await Promise.allSettled([
    runOn(real, c, namespace, fixtures),
    runOn(sandbox, c, namespace, fixtures),
  ]);
  const fail = (side: string, why: string): CaseResult => ({
    case: c,
    namespace,
    differences: [
      {
        step: 'run',
        aspect: 'runner',
        real: side === 'real' ? why : '',
        sandbox: side === 'real' ? '' : why,
      },
    ],
  });
  if (r.status === 'rejected') return fail('real', String(r.reason));
  if (s.status === 'rejected') return fail('sandbox', String(s.reason));
  if (r.value.failedSetup) return fail('real', `setup failed: ${r.value.failedSetup}`);
  const differences: Difference[] = [];
  if (s.value.failedSetup) {
    differences.push({ step: 'setup', aspect: 'setup', real: 'ok', sandbox: s.value.failedSetup });
    return { case: c, namespace, differences };
  }
  const rn = new Normaliser();
  const sn = new Normaliser();
  const trace: NonNullable<CaseResult['trace']> = [];
  c.steps.forEach((step, i) => {
    const ra = rn.answer(r.value.answers[i]!);
    const sa = sn.answer(s.value.answers[i]!);
    trace.push({ step: step.label, real: ra, sandbox: sa });
    if (step.setup) return;
    const ignore =
      step.type === 'kubectl' ? (step.stdout === 'ignore' ? ['stdout'] : []) : (step.ignore ?? []);
    differences.push(...compareAnswers(step.label, ra, sa, ignore));
  });
  r.value.readBack.forEach((a, i) => {
    const [ra, sa] = [rn.answer(a), sn.answer(s.value.readBack[i]!)];
    trace.push({ step: 'read back', real: ra, sandbox: sa });
    differences.push(...compareAnswers('read back', ra, sa));
  });
  return { case: c, namespace, differences, trace };
}

/** Runs every case with at most `concurrency` at once; results in the catalogue's order. */
export async function runCatalogue(
  cases: Case[],
  real: Target,
  sandbox: Target,
  opts: { concurrency?: number; fixtures: string; salt?: string; onResult?: (r: CaseResult) => void },
): Promise<CaseResult[]> {
  const results: CaseResult[] = new Array(cases.length);
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const i = next++;
      results[i] = await runCase(cases[i]!, real, sandbox, opts);
      opts.onResult?.(results[i]!);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 8 }, worker));
  return results;
}
