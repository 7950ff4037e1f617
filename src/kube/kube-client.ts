import { existsSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { KubemirrorError } from '../core/errors.js';
import { apiErrorFromResponse } from './api-errors.js';

/**
 * Called once per API request made through our wrappers, with the Kubernetes verb (get, list, watch, create,
 * update, patch, delete), the plural resource (or `discovery`) and the HTTP code as a string, `<error>` when
 * no response came back. Feeds `kubemirror_api_requests_total{verb,resource,code}`.
 */
export type ApiCounter = (verb: string, resource: string, code: string) => void;

export const noopApiCounter: ApiCounter = () => {};

export interface KubeConfigSource {
  /** explicit kubeconfig path (`--kubeconfig`); wins over everything */
  path?: string;
  /** the environment to read `KUBECONFIG` and `KUBERNETES_SERVICE_HOST` from (the config loader passes it) */
  env: Readonly<Record<string, string | undefined>>;
  /** default: the user's home directory */
  homeDir?: string;
  /**
   * merge every existing file in `KUBECONFIG` as kubectl does (the first file's current context wins; a name
   * defined twice is an error); default: only the first existing file is read
   */
  mergeKubeconfigEnv?: boolean;
}

/** Where the kubeconfig came from, for the startup log line. */
export type KubeConfigOrigin = 'flag' | 'KUBECONFIG' | 'home' | 'in-cluster';

/**
 * A client-node KubeConfig from, in order: the explicit path, the first existing file in `KUBECONFIG` (or all of
 * them, merged, with `mergeKubeconfigEnv`),
 * `~/.kube/config`, or the in-cluster service account. Throws `KubemirrorError('NoKubeconfig')` otherwise.
 */
export function loadKubeConfig(src: KubeConfigSource): { kc: KubeConfig; origin: KubeConfigOrigin } {
  const kc = new KubeConfig();
  let origin: KubeConfigOrigin;
  const [fromEnv, ...moreFromEnv] = (src.env.KUBECONFIG ?? '')
    .split(delimiter)
    .filter((p) => p !== '' && existsSync(p));
  const home = join(src.homeDir ?? homedir(), '.kube', 'config');
  try {
    if (src.path) {
      kc.loadFromFile(src.path);
      origin = 'flag';
    } else if (fromEnv) {
      kc.loadFromFile(fromEnv);
      for (const file of src.mergeKubeconfigEnv ? moreFromEnv : []) {
        const other = new KubeConfig();
        other.loadFromFile(file);
        kc.mergeConfig(other, true);
      }
      origin = 'KUBECONFIG';
    } else if (existsSync(home)) {
      kc.loadFromFile(home);
      origin = 'home';
    } else if (src.env.KUBERNETES_SERVICE_HOST) {
      kc.loadFromCluster();
      origin = 'in-cluster';
    } else {
      throw new KubemirrorError(
        'NoKubeconfig',
        'no kubeconfig: pass --kubeconfig, set KUBECONFIG, create ~/.kube/config or run in a cluster',
      );
    }
  } catch (err) {
    if (err instanceof KubemirrorError) throw err;
    throw new KubemirrorError('InvalidKubeconfig', `cannot load kubeconfig: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (!kc.getCurrentCluster()) {
    throw new KubemirrorError('InvalidKubeconfig', `kubeconfig (${origin}) has no current cluster`);
  }
  return { kc, origin };
}

export interface KubeRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** absolute API path, e.g. `/api/v1/namespaces/default/secrets` */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** default `application/json` when there is a body */
  contentType?: string;
  /** default `application/json`; e.g. a `;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1` metadata-only read */
  accept?: string;
  /** for the ApiCounter */
  verb: string;
  resource: string;
  signal?: AbortSignal;
  /** told the length of a 2xx response body (in UTF-16 code units, about its bytes): list paging sizes pages by it */
  onBodyLength?: (length: number) => void;
}

/**
 * The one HTTP path to the API server for generic (any resource type) calls: applies the kubeconfig's auth and
 * TLS, keeps connections alive, counts every request, and turns error responses into `ApiError`.
 */
export class KubeClient {
  readonly kc: KubeConfig;
  readonly count: ApiCounter;
  private agent: http.Agent | null = null;

  constructor(kc: KubeConfig, count: ApiCounter = noopApiCounter) {
    this.kc = kc;
    this.count = count;
  }

  get server(): string {
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new KubemirrorError('InvalidKubeconfig', 'kubeconfig has no current cluster');
    return cluster.server.replace(/\/+$/, '');
  }

  /** Sends a request; resolves with the parsed JSON body of a 2xx response. */
  async request<T = unknown>(req: KubeRequest): Promise<T> {
    const url = new URL(this.server + req.path);
    for (const [k, v] of Object.entries(req.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const opts: https.RequestOptions = {
      method: req.method,
      headers: { Accept: req.accept ?? 'application/json' },
    };
    // Re-applied per request so rotating credentials (exec plugins, projected tokens) stay current.
    await this.kc.applyToHTTPSOptions(opts);
    opts.agent = this.agentFor(url, opts);
    let payload: string | undefined;
    if (req.body !== undefined) {
      payload = typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
      opts.headers = {
        ...opts.headers,
        'Content-Type': req.contentType ?? 'application/json',
        'Content-Length': Buffer.byteLength(payload),
      };
    }
    if (opts.auth) {
      opts.headers = { ...opts.headers, Authorization: `Basic ${Buffer.from(opts.auth).toString('base64')}` };
      opts.auth = undefined;
    }
    let status: number;
    let text: string;
    try {
      ({ status, text } = await send(url, opts, payload, req.signal));
    } catch (err) {
      this.count(req.verb, req.resource, '<error>');
      throw new KubemirrorError('Transient', `${req.method} ${req.path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    this.count(req.verb, req.resource, String(status));
    const body = parseJson(text);
    if (status >= 200 && status < 300) {
      req.onBodyLength?.(text.length);
      return body as T;
    }
    throw apiErrorFromResponse(status, body, `${req.method} ${req.path}`);
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.agent?.destroy();
    this.agent = null;
  }

  private agentFor(url: URL, applied: https.RequestOptions): http.Agent {
    // A proxy agent from client-node is used as is; otherwise one keep-alive agent with the same TLS settings.
    if (this.kc.getCurrentCluster()?.proxyUrl) return applied.agent as http.Agent;
    if (!this.agent) {
      this.agent =
        url.protocol === 'http:'
          ? new http.Agent({ keepAlive: true })
          : new https.Agent({
              keepAlive: true,
              ca: applied.ca,
              cert: applied.cert,
              key: applied.key,
              pfx: applied.pfx,
              passphrase: applied.passphrase,
              servername: applied.servername,
              ...(applied.rejectUnauthorized !== undefined
                ? { rejectUnauthorized: applied.rejectUnauthorized }
                : {}),
            });
    }
    (applied.agent as http.Agent | undefined)?.destroy();
    return this.agent;
  }
}

function send(
  url: URL,
  opts: https.RequestOptions,
  payload: string | undefined,
  signal: AbortSignal | undefined,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const mod = url.protocol === 'http:' ? http : https;
    const req = mod.request(url, { ...opts, signal }, (res) => {
      // Decoded chunk by chunk: each socket read buffer is released as soon as it is decoded, instead of every
      // one of them (malloc'd, outside the V8 heap) staying alive until the end of a large list and leaving
      // the allocator's heap fragmented and grown after it.
      res.setEncoding('utf8');
      let text = '';
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 200) };
  }
}
