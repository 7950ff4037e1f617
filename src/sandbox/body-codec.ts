import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { ApiError, apiErrors } from './api-error.js';
import { decodeProtobuf, PROTOBUF } from './protobuf.js';
import type { PatchType } from './resource-service.js';

/** Request bodies in (JSON, YAML, the protobuf kubectl sends) and JSON responses out. */

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
}

/**
 * Go's encoding/json scanner (and sigs.k8s.io/json, its fork the apiserver decodes with) refuses nesting deeper
 * than maxNestingDepth = 10000 with `invalid character '{' exceeded max depth`; checking first also keeps the
 * recursive steps after decoding (validation, pruning, merges) off a stack overflow.
 */
const MAX_NESTING_DEPTH = 10000;

/** the deepest nesting of each request's body, for the router's answer to a body too deep for the sandbox */
const bodyDepths = new WeakMap<IncomingMessage, number>();
let lastDepth = 0;

/** How deeply the request's body nested (0 when it had none or was not JSON/YAML). */
export function bodyDepth(req: IncomingMessage): number {
  return bodyDepths.get(req) ?? 0;
}

function nestingError(text: string): string | undefined {
  let depth = 0;
  lastDepth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_NESTING_DEPTH) return `invalid character '${text[i]}' exceeded max depth`;
      if (depth > lastDepth) lastDepth = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return undefined;
}

function parseJson(text: string): unknown {
  const deep = nestingError(text);
  if (deep) throw apiErrors.badRequest(`the request body could not be decoded: ${deep}`);
  try {
    // a `__proto__` key would become the object's prototype the moment a body is copied or merged; no Go type
    // has such a field, so it is dropped like any unknown field (and never reaches a stored map)
    // (JSON.parse makes `__proto__` an own data property; it is removed iteratively, as a reviver would recurse
    // once per level and overflow the stack on a body nested 10000 deep, which Go decodes)
    return dropProtoKeys(JSON.parse(text));
  } catch (err) {
    throw apiErrors.badRequest(`the request body could not be decoded: ${(err as Error).message}`);
  }
}

/** The body of a create/update/delete: JSON, YAML or Kubernetes protobuf; empty → undefined. */
export function decodeObjectBody(req: IncomingMessage, body: Buffer): unknown {
  if (body.length === 0) return undefined;
  const type = mediaType(req);
  if (type === PROTOBUF) return decodeProtobuf(body);
  if (type === 'application/yaml') {
    const out = parseYamlBody(body);
    bodyDepths.set(req, lastDepth);
    return out;
  }
  if (type === 'application/json' || type === '*/*') {
    const out = parseJson(body.toString('utf8'));
    bodyDepths.set(req, lastDepth);
    return out;
  }
  throw apiErrors.unsupportedMediaType(type);
}

function parseYamlBody(body: Buffer): unknown {
  const text = body.toString('utf8');
  // flow-style YAML nests like JSON (sigs.k8s.io/yaml converts YAML to JSON and decodes that)
  const deep = nestingError(text);
  if (deep) throw apiErrors.badRequest(`the request body could not be decoded: ${deep}`);
  try {
    return dropProtoKeys(parseYaml(text));
  } catch (err) {
    throw apiErrors.badRequest(`the request body could not be decoded: ${(err as Error).message}`);
  }
}

const PATCH_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

export function decodePatchBody(req: IncomingMessage, body: Buffer): { type: PatchType; patch: unknown } {
  const ct = mediaType(req);
  const type = PATCH_TYPES[ct];
  if (!type) {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${Object.keys(PATCH_TYPES).join(', ')}`,
    );
  }
  const patch = type === 'apply' ? parseYamlBody(body) : parseJson(body.toString('utf8'));
  bodyDepths.set(req, lastDepth);
  return { type, patch };
}

export function sendJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  // a Buffer, so Node writes the header block as latin1 (byte for byte): a header value given as the latin1 form of
  // UTF-8 bytes (warnings naming non-ASCII fields) reaches the client as those UTF-8 bytes, as Go sends them
  const bytes = Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': bytes.length,
    ...headers,
  });
  res.end(bytes);
}

export function sendError(res: ServerResponse, err: ApiError): void {
  const headers: Record<string, string> = err.details?.retryAfterSeconds
    ? { 'Retry-After': String(err.details.retryAfterSeconds) }
    : {};
  sendJson(res, err.code, err.toStatus(), headers);
}

/** YAML bodies get the same treatment as JSON ones (see parseJson): no `__proto__` keys. */
function dropProtoKeys(root: unknown): unknown {
  // iterative (bodies may nest up to Go's 10000 levels), depth-first with the current path tracked: a YAML alias
  // inside its own anchor (`&a [*a]`) makes a cycle, which go-yaml refuses ("anchor 'a' value contains itself")
  const onPath = new Set<object>();
  const done = new Set<object>();
  const stack: [unknown, boolean][] = [[root, false]];
  while (stack.length > 0) {
    const [v, leaving] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (leaving) {
      onPath.delete(v);
      done.add(v);
      continue;
    }
    if (onPath.has(v)) throw new Error('yaml: anchor value contains itself');
    if (done.has(v)) continue;
    onPath.add(v);
    stack.push([v, true]);
    if (Array.isArray(v)) {
      for (const x of v) stack.push([x, false]);
      continue;
    }
    const o = v as Record<string, unknown>;
    if (Object.hasOwn(o, '__proto__')) Reflect.deleteProperty(o, '__proto__');
    // a parser that assigned `__proto__` made it the prototype instead: back to a plain object
    if (Object.getPrototypeOf(o) !== Object.prototype) Object.setPrototypeOf(o, Object.prototype);
    for (const k of Object.keys(o)) stack.push([o[k], false]);
  }
  return root;
}
