import { PROTOBUF, projectLikeProtobuf } from './protobuf-view.js';
import type { Answer } from './types.js';

/** One way two normalised answers differ: the aspect, where, and both values (short). */
export interface Difference {
  /** the step's label, or `read back` */
  step: string;
  /** code | reason | message | causes | details | body | warnings | events | contentType | kubectl.* */
  aspect: string;
  /** the first differing path of the body or event sequence, with list indices as [] */
  path?: string;
  real: string;
  sandbox: string;
}

function short(v: unknown, max = 240): string {
  const s = v === undefined ? 'undefined' : typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** The first path where a and b differ (undefined when they are equal). */
export function firstDifference(
  a: unknown,
  b: unknown,
  path = '',
): { path: string; a: unknown; b: unknown } | undefined {
  if (a === b) return undefined;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(ao), ...Object.keys(bo)])].sort();
    for (const k of keys) {
      const d = firstDifference(ao[k], bo[k], path ? `${path}.${k}` : k);
      if (d) return d;
    }
    return undefined;
  }
  return { path, a, b };
}

const isStatus = (b: unknown): b is Record<string, unknown> =>
  !!b && typeof b === 'object' && (b as { kind?: unknown }).kind === 'Status';

/** Every way the sandbox's answer to a step differs from kube-apiserver's (both normalised). */
export function compareAnswers(
  step: string,
  real: Answer,
  sandbox: Answer,
  ignore: string[] = [],
): Difference[] {
  const out: Difference[] = [];
  const add = (aspect: string, r: unknown, s: unknown, path?: string) =>
    out.push({ step, aspect, ...(path !== undefined ? { path } : {}), real: short(r), sandbox: short(s) });
  if (real.kubectl || sandbox.kubectl) {
    const r = real.kubectl ?? { exit: -1, stdout: '', stderr: '' };
    const s = sandbox.kubectl ?? { exit: -1, stdout: '', stderr: '' };
    if (r.exit !== s.exit) add('kubectl.exit', r.exit, s.exit);
    if (!ignore.includes('stdout') && r.stdout !== s.stdout) add('kubectl.stdout', r.stdout, s.stdout);
    if (r.stderr !== s.stderr) add('kubectl.stderr', r.stderr, s.stderr);
    return out;
  }
  if (real.code !== sandbox.code) add('code', real.code, sandbox.code);
  // a client that accepts protobuf and JSON gets either; the protobuf answer is compared on what it carries
  const protobuf = real.contentType === PROTOBUF || sandbox.contentType === PROTOBUF;
  if (!protobuf && real.contentType !== sandbox.contentType && !ignore.includes('contentType'))
    add('contentType', real.contentType, sandbox.contentType);
  if (!ignore.includes('warnings') && JSON.stringify(real.warnings) !== JSON.stringify(sandbox.warnings))
    add('warnings', real.warnings, sandbox.warnings);
  if (real.events || sandbox.events) {
    const types = (a: Answer) => (a.events ?? []).map((e) => e.type);
    if (JSON.stringify(types(real)) !== JSON.stringify(types(sandbox)))
      add('events', types(real).join(','), types(sandbox).join(','), 'type');
    else {
      const d = firstDifference(real.events, sandbox.events);
      if (d) add('events', d.a, d.b, d.path);
    }
  }
  let rb = real.body;
  let sb = sandbox.body;
  if (protobuf) {
    rb = projectLikeProtobuf(rb);
    sb = projectLikeProtobuf(sb);
  }
  if (isStatus(rb) && isStatus(sb)) {
    if (rb.reason !== sb.reason) add('reason', rb.reason, sb.reason);
    if (rb.message !== sb.message) add('message', rb.message, sb.message);
    const rd = (rb.details ?? {}) as Record<string, unknown>;
    const sd = (sb.details ?? {}) as Record<string, unknown>;
    const causes = (d: Record<string, unknown>) =>
      ((d.causes ?? []) as { reason?: string; field?: string; message?: string }[]).map((c) => ({
        reason: c.reason,
        field: c.field,
        message: c.message,
      }));
    const dc = firstDifference(causes(rd), causes(sd));
    if (dc) add('causes', causes(rd), causes(sd), dc.path);
    const { causes: _rc, ...rOther } = rd;
    const { causes: _sc, ...sOther } = sd;
    const dd = firstDifference(rOther, sOther);
    if (dd) add('details', dd.a, dd.b, `details.${dd.path}`);
    const { details: _r, message: _rm, reason: _rr, ...rRest } = rb;
    const { details: _s, message: _sm, reason: _sr, ...sRest } = sb;
    const dr = firstDifference(rRest, sRest);
    if (dr) add('body', dr.a, dr.b, dr.path);
  } else if (!ignore.includes('body')) {
    const d = firstDifference(rb, sb);
    if (d) add('body', d.a, d.b, d.path);
  }
  return out;
}
