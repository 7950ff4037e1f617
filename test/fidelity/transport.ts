import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { kubectlPath } from '../helpers/tools.js';
import { decodeProtobufView, PROTOBUF } from './protobuf-view.js';
import type { Answer } from './types.js';

/** One API server the catalogue is sent to: its base URL and the admin credentials of its kubeconfig. */
export interface Target {
  /** `kube-apiserver` or `sandbox` */
  readonly name: string;
  readonly server: string;
  readonly kubeconfigPath: string;
  readonly kubectlCacheDir: string;
  readonly agent: HttpAgent;
  readonly token?: string;
}

interface KubeconfigUser {
  'client-certificate-data'?: string;
  'client-key-data'?: string;
  token?: string;
}

/** A target from an admin kubeconfig (its first cluster and user); the kubeconfig is written under `dir`. */
export function targetFromKubeconfig(
  name: string,
  kubeconfigYaml: string,
  dir: string,
  sockets = 16,
): Target {
  const doc = parseYaml(kubeconfigYaml) as {
    clusters: { cluster: { server: string; 'certificate-authority-data'?: string } }[];
    users: { user: KubeconfigUser }[];
  };
  const cluster = doc.clusters[0]!.cluster;
  const user = doc.users[0]?.user ?? {};
  const b64 = (s: string | undefined) => (s ? Buffer.from(s, 'base64').toString('utf8') : undefined);
  mkdirSync(dir, { recursive: true });
  const kubeconfigPath = join(dir, `${name}.kubeconfig`);
  writeFileSync(kubeconfigPath, kubeconfigYaml, { mode: 0o600 });
  const https = cluster.server.startsWith('https:');
  const agent = https
    ? new HttpsAgent({
        keepAlive: true,
        maxSockets: sockets,
        ca: b64(cluster['certificate-authority-data']),
        cert: b64(user['client-certificate-data']),
        key: b64(user['client-key-data']),
      })
    : new HttpAgent({ keepAlive: true, maxSockets: sockets });
  return {
    name,
    server: cluster.server,
    kubeconfigPath,
    kubectlCacheDir: join(dir, `${name}-kubectl-cache`),
    agent,
    ...(user.token ? { token: user.token } : {}),
  };
}

export interface WireRequest {
  method: string;
  /** path and query */
  url: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** a watch: collect events until the stream ends or this many ms pass */
  watchMs?: number;
}

/** `299 - "text"` → text (apimachinery's makeQuotedString reversed); Node hands header values over as latin1. */
function warningText(raw: string): string {
  const value = Buffer.from(raw, 'latin1').toString('utf8');
  const m = /^\d{3} \S+ "((?:[^"\\]|\\.)*)"/.exec(value);
  return m ? m[1]!.replace(/\\(.)/g, '$1') : value;
}

function warnings(res: IncomingMessage): string[] {
  const out: string[] = [];
  for (let i = 0; i < res.rawHeaders.length; i += 2)
    if (res.rawHeaders[i]!.toLowerCase() === 'warning') out.push(warningText(res.rawHeaders[i + 1]!));
  return out;
}

function mediaType(res: IncomingMessage): string {
  return (res.headers['content-type'] ?? '').split(';')[0]!.trim();
}

/** The body as a value: JSON, YAML, the protobuf envelope projected (protobuf-view.ts), else the text. */
export function decodeBody(type: string, bytes: Buffer): unknown {
  if (bytes.length === 0) return undefined;
  try {
    if (type === 'application/json') return JSON.parse(bytes.toString('utf8'));
    if (type === 'application/yaml') return parseYaml(bytes.toString('utf8'));
    if (type === PROTOBUF) return decodeProtobufView(bytes);
  } catch {
    // not what the content type says: compared as text
  }
  return bytes.toString('utf8');
}

/**
 * Sends one request; a watch collects its events (JSON lines) until the stream ends or `watchMs` pass. A
 * keep-alive connection the server closed as it was being reused (ECONNRESET before any answer, `reusedSocket`)
 * never carried the request, so it is sent once more on a fresh connection, as HTTP clients do.
 */
export async function send(target: Target, req: WireRequest): Promise<Answer> {
  try {
    return await sendOnce(target, req);
  } catch (err) {
    if ((err as { reusedSocketReset?: boolean }).reusedSocketReset) return sendOnce(target, req);
    throw err;
  }
}

function sendOnce(target: Target, req: WireRequest): Promise<Answer> {
  const url = new URL(req.url, target.server);
  const headers: Record<string, string> = { ...req.headers, 'User-Agent': 'kubemirror-fidelity/1.0' };
  if (target.token) headers.Authorization = `Bearer ${target.token}`;
  if (req.body) headers['Content-Length'] = String(req.body.length);
  const doRequest = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const r = doRequest(url, { method: req.method, headers, agent: target.agent }, (res) => {
      const chunks: Buffer[] = [];
      const finish = () => {
        if (timer) clearTimeout(timer);
        const bytes = Buffer.concat(chunks);
        const type = mediaType(res);
        const answer: Answer = {
          code: res.statusCode ?? 0,
          contentType: type,
          warnings: warnings(res),
        };
        if (req.watchMs !== undefined && res.statusCode === 200 && type === 'application/json') {
          answer.events = bytes
            .toString('utf8')
            .split('\n')
            .filter((l) => l.trim() !== '')
            .map((l) => {
              try {
                return JSON.parse(l) as { type: string; object: unknown };
              } catch {
                return { type: 'UNPARSABLE', object: l };
              }
            });
        } else answer.body = decodeBody(type, bytes);
        resolve(answer);
      };
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', finish);
      res.on('aborted', finish);
      res.on('error', finish);
      if (req.watchMs !== undefined) {
        // a complete line is an event: whatever arrived when the time is up is the watch's sequence
        timer = setTimeout(() => {
          res.removeAllListeners('end');
          res.removeAllListeners('aborted');
          res.removeAllListeners('error');
          res.on('error', () => {});
          r.destroy();
          const text = Buffer.concat(chunks).toString('utf8');
          const complete = text.slice(0, text.lastIndexOf('\n') + 1);
          chunks.length = 0;
          chunks.push(Buffer.from(complete, 'utf8'));
          finish();
        }, req.watchMs);
      }
    });
    r.setTimeout(30_000, () => r.destroy(new Error(`${req.method} ${req.url}: no answer in 30 s`)));
    r.on('error', (err) => {
      if (timer) clearTimeout(timer);
      if ((err as NodeJS.ErrnoException).code === 'ECONNRESET' && r.reusedSocket)
        Object.assign(err, { reusedSocketReset: true });
      reject(err);
    });
    r.end(req.body);
  });
}

/** Runs the real kubectl against the target (its own discovery cache per target). */
export function runKubectl(
  target: Target,
  args: string[],
  stdin?: string,
): Promise<{ exit: number; stdout: string; stderr: string }> {
  const full = ['--kubeconfig', target.kubeconfigPath, '--cache-dir', target.kubectlCacheDir, ...args];
  return new Promise((resolve) => {
    const child = execFile(kubectlPath(), full, { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ exit: code, stdout, stderr });
    });
    child.stdin?.end(stdin ?? '');
  });
}
