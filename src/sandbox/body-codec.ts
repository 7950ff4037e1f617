import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { ApiError, apiErrors } from './api-error.js';
import { decodeProtobuf, PROTOBUF } from './protobuf.js';
import type { PatchType } from './resource-service.js';
import { duplicateFields, goJsonSyntaxError, jsonKindOf } from './validation/go-json.js';

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

/** encoding/json's wording of a syntax error (go-json.ts), JavaScript's when the scan itself cannot run */
function goSyntaxError(text: string, err: unknown): string {
  try {
    return goJsonSyntaxError(text) ?? (err as Error).message;
  } catch {
    return (err as Error).message;
  }
}

/** Parses JSON; a syntax error is handed to `onError` in Go's words (which throws the request's error). */
function parseJson(text: string, onError?: (goMessage: string) => never): unknown {
  const deep = nestingError(text);
  if (deep) throw apiErrors.badRequest(`the request body could not be decoded: ${deep}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    if (onError) onError(goSyntaxError(text, err));
    throw apiErrors.badRequest(`the request body could not be decoded: ${(err as Error).message}`);
  }
  // a `__proto__` key would become the object's prototype the moment a body is copied or merged; no Go type
  // has such a field, so it is dropped like any unknown field (and never reaches a stored map)
  // (JSON.parse makes `__proto__` an own data property; it is removed iteratively, as a reviver would recurse
  // once per level and overflow the stack on a body nested 10000 deep, which Go decodes)
  return dropProtoKeys(parsed);
}

/** handlers/rest.go summarizeData: the body as the decode error quotes it */
function summarizeData(body: Buffer, max = 30): string {
  if (body.length === 0) return '<empty>';
  if (body[0] === 0x7b)
    return body.length > max ? `${body.subarray(0, max).toString('utf8')} ...` : body.toString('utf8');
  return body.length > max ? `${body.subarray(0, max).toString('hex')} ...` : body.toString('hex');
}

const TYPE_META_STRUCT =
  'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }';

/**
 * What a body is decoded for: an object of `kind` (create, update: a failure is "the object provided is
 * unrecognized", handlers/rest.go transformDecodeError) or DeleteOptions (the decoder's error as it is).
 */
export type BodyFor = { kind: string } | 'options';

/**
 * The JSON decoder's first step (runtime/serializer/json Decode → meta.Interpret): the apiVersion/kind of the body,
 * which fails for a body that is not JSON or not an object.
 */
function versionKindError(bytes: Buffer, forWhat: BodyFor): (goMessage: string) => never {
  return (goMessage) => {
    const base = `couldn't get version/kind; json parse error: ${goMessage}`;
    if (forWhat === 'options') throw apiErrors.badRequest(base);
    throw apiErrors.badRequest(
      `the object provided is unrecognized (must be of type ${forWhat.kind}): ${base} (${summarizeData(bytes)})`,
    );
  };
}

const bodyDuplicates = new WeakMap<object, string[]>();

/** The fields a decoded JSON body set twice (`duplicate field "x"` of fieldValidation Strict/Warn); [] for none. */
export function duplicatesOf(body: object): string[] {
  return bodyDuplicates.get(body) ?? [];
}

/**
 * The body of a create/update/delete: JSON, YAML or Kubernetes protobuf; empty → undefined for DeleteOptions (a
 * DELETE may have none), an error for an object.
 */
export function decodeObjectBody(req: IncomingMessage, body: Buffer, forWhat: BodyFor = 'options'): unknown {
  const type = mediaType(req);
  if (body.length === 0) {
    if (forWhat === 'options') return undefined;
    if (type === 'application/json' || type === '*/*')
      versionKindError(body, forWhat)('unexpected end of JSON input');
    return undefined;
  }
  if (type === PROTOBUF) return decodeProtobuf(body);
  if (type === 'application/yaml') {
    const out = parseYamlBody(body);
    bodyDepths.set(req, lastDepth);
    return out;
  }
  if (type === 'application/json' || type === '*/*') {
    const text = body.toString('utf8');
    const fail = versionKindError(body, forWhat);
    const out = parseJson(text, fail);
    if (out === null || typeof out !== 'object' || Array.isArray(out))
      fail(`json: cannot unmarshal ${jsonKindOf(out)} into Go value of type ${TYPE_META_STRUCT}`);
    bodyDepths.set(req, lastDepth);
    // JSON.parse keeps the last of a field set twice; the strict decoder reports it (see duplicatesOf)
    if (forWhat !== 'options' && lastDepth < 200) {
      const duplicates = duplicateFields(text);
      if (duplicates.length > 0) bodyDuplicates.set(out as object, duplicates);
    }
    return out;
  }
  throw apiErrors.unsupportedMediaType();
}

function parseYamlBody(body: Buffer, errorPrefix = 'the request body could not be decoded'): unknown {
  const text = body.toString('utf8');
  // flow-style YAML nests like JSON (sigs.k8s.io/yaml converts YAML to JSON and decodes that)
  const deep = nestingError(text);
  if (deep) throw apiErrors.badRequest(`${errorPrefix}: ${deep}`);
  try {
    return dropProtoKeys(parseYaml(text));
  } catch (err) {
    throw apiErrors.badRequest(`${errorPrefix}: ${yamlErrorText(err)}`);
  }
}

/**
 * go-yaml's wording where the YAML library's error says the same thing (`yaml: line N: …`); the library's own
 * message otherwise. Go reports lines 1-based, like the library's linePos.
 */
function yamlErrorText(err: unknown): string {
  const e = err as { message?: string; code?: string; linePos?: { line: number }[] };
  const line = e.linePos?.[0]?.line;
  if (line !== undefined && e.code === 'BAD_INDENT' && /Flow sequence/.test(e.message ?? ''))
    return `yaml: line ${line}: did not find expected ',' or ']'`;
  if (line !== undefined && /Flow map/.test(e.message ?? ''))
    return `yaml: line ${line}: did not find expected ',' or '}'`;
  return e.message ?? String(err);
}

const PATCH_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

/**
 * A patch body (handlers/patch.go): another Content-Type is go-restful's bare 415; a JSON or merge patch that is not
 * valid JSON is "invalid JSON patch" (validateAndTranscodePatch); with fieldValidation Strict or Warn (the default)
 * the patch is first strictly decoded into the type it must have ([]jsonPatchOp, map[string]interface {}), whose
 * failure is "error decoding patch: …"; a merge patch `null` is the merge library's "Invalid JSON Patch".
 */
export function decodePatchBody(
  req: IncomingMessage,
  body: Buffer,
  fieldValidation: 'Ignore' | 'Warn' | 'Strict' = 'Warn',
  custom = false,
): { type: PatchType; patch: unknown } {
  const ct = mediaType(req);
  const type = PATCH_TYPES[ct];
  // a custom resource's handler lists the patch types it takes; a built-in's route is go-restful's bare 415
  if (!type && custom)
    throw apiErrors.unsupportedMediaType(
      'application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
    );
  if (!type) throw new ApiError(415, 'UnsupportedMediaType', '415: Unsupported Media Type', {});
  if (type === 'apply') {
    const patch = parseYamlBody(body, 'error encoding patch');
    bodyDepths.set(req, lastDepth);
    return { type, patch };
  }
  const patch = parseJson(body.toString('utf8'), () => {
    throw apiErrors.badRequest('invalid JSON patch');
  });
  bodyDepths.set(req, lastDepth);
  const strict = fieldValidation !== 'Ignore';
  if (type === 'json' && strict) {
    const err = jsonPatchOpsError(patch);
    if (err) throw apiErrors.badRequest(`error decoding patch: ${err}`);
  }
  if (type === 'merge') {
    if (strict && patch !== null && (typeof patch !== 'object' || Array.isArray(patch)))
      throw apiErrors.badRequest(
        `error decoding patch: json: cannot unmarshal ${jsonKindOf(patch)} into Go value of type map[string]interface {}`,
      );
    if (patch === null || typeof patch !== 'object' || Array.isArray(patch))
      throw apiErrors.badRequest('Invalid JSON Patch');
  }
  return { type, patch };
}

/** json.Unmarshal into []handlers.jsonPatchOp {op, path, from string; value any}: its first type error */
function jsonPatchOpsError(patch: unknown): string | undefined {
  if (patch === null) return undefined;
  if (!Array.isArray(patch))
    return `json: cannot unmarshal ${jsonKindOf(patch)} into Go value of type []handlers.jsonPatchOp`;
  for (const op of patch) {
    if (op === null) continue;
    if (typeof op !== 'object' || Array.isArray(op))
      return `json: cannot unmarshal ${jsonKindOf(op)} into Go value of type handlers.jsonPatchOp`;
    for (const field of ['op', 'path', 'from']) {
      const v = (op as Record<string, unknown>)[field];
      if (v !== undefined && v !== null && typeof v !== 'string')
        return `json: cannot unmarshal ${jsonKindOf(v)} into Go struct field jsonPatchOp.${field} of type string`;
    }
  }
  return undefined;
}

/** answers the client asked to have as YAML (request-info.ts negotiateMediaType), errors included */
const yamlAnswers = new WeakSet<ServerResponse>();

export function answerInYaml(res: ServerResponse): void {
  yamlAnswers.add(res);
}

export function sendJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const yaml = yamlAnswers.has(res);
  // a Buffer, so Node writes the header block as latin1 (byte for byte): a header value given as the latin1 form of
  // UTF-8 bytes (warnings naming non-ASCII fields) reaches the client as those UTF-8 bytes, as Go sends them
  const bytes = Buffer.from(yaml ? toYaml(body) : JSON.stringify(body), 'utf8');
  res.writeHead(code, {
    'Content-Type': yaml ? 'application/yaml' : 'application/json',
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
