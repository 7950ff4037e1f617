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

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw apiErrors.badRequest(`the request body could not be decoded: ${(err as Error).message}`);
  }
}

/** The body of a create/update/delete: JSON, YAML or Kubernetes protobuf; empty → undefined. */
export function decodeObjectBody(req: IncomingMessage, body: Buffer): unknown {
  if (body.length === 0) return undefined;
  const type = mediaType(req);
  if (type === PROTOBUF) return decodeProtobuf(body);
  if (type === 'application/yaml') return parseYamlBody(body);
  if (type === 'application/json' || type === '*/*') return parseJson(body.toString('utf8'));
  throw apiErrors.unsupportedMediaType(type);
}

function parseYamlBody(body: Buffer): unknown {
  try {
    return parseYaml(body.toString('utf8'));
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
  return { type, patch: type === 'apply' ? parseYamlBody(body) : parseJson(body.toString('utf8')) };
}

export function sendJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, err: ApiError): void {
  const headers: Record<string, string> = err.details?.retryAfterSeconds
    ? { 'Retry-After': String(err.details.retryAfterSeconds) }
    : {};
  sendJson(res, err.code, err.toStatus(), headers);
}
