/**
 * In-process PKI for the test control plane (etcd + kube-apiserver + kube-controller-manager), node:crypto only.
 * ECDSA P-256 keys (PKCS#8 "PRIVATE KEY" PEM), X.509 v3 certificates built by hand in DER (see der.ts).
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import {
  buildCertificate,
  type CertSpec,
  distinguishedName,
  EXT_KEY_USAGE,
  type Issuer,
  ipBytes,
  issuerFrom,
} from './x509.js';

export interface Pem {
  cert: string;
  key: string;
}

export interface ControlPlanePki {
  /** Self-signed CA: basicConstraints CA:true, keyUsage keyCertSign|cRLSign|digitalSignature. */
  ca: Pem;
  /** kube-apiserver serving cert (serverAuth) for localhost, kubernetes[.default[.svc]], 127.0.0.1, ::1 + extras. */
  serving: Pem;
  /** CN=kubemirror-admin, O=system:masters (clientAuth). */
  admin: Pem;
  /** CN=system:kube-controller-manager (clientAuth). */
  controllerManager: Pem;
  /** SPKI "PUBLIC KEY" / PKCS#8 "PRIVATE KEY" PEM for --service-account-key-file / --service-account-signing-key-file. */
  serviceAccount: { publicKey: string; privateKey: string };
}

export interface ControlPlanePkiOptions {
  /** Extra serving-cert SANs: IP literals become iPAddress entries, anything else a dNSName. */
  extraHosts?: string[];
  /** Validity of every certificate in days (default 7); notBefore is backdated one hour. */
  days?: number;
  /** Replaces the built-in client-cert issuer for admin and controllerManager; receives the generated CA. */
  clientCert?(cn: string, orgs: string[], ca: Pem): Pem;
}

export const DEFAULT_DAYS = 7;
export const CA_COMMON_NAME = 'kubemirror-ca';
export const SERVING_COMMON_NAME = 'kube-apiserver';
export const ADMIN_USER = { cn: 'kubemirror-admin', orgs: ['system:masters'] } as const;
export const CONTROLLER_MANAGER_USER = { cn: 'system:kube-controller-manager', orgs: [] } as const;
export const SERVING_DNS_NAMES = ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'];
export const SERVING_IPS = ['127.0.0.1', '::1'];

export function createControlPlanePki(opts: ControlPlanePkiOptions = {}): ControlPlanePki {
  const days = validDays(opts.days ?? DEFAULT_DAYS);
  const caKeys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const caCert = buildCertificate({
    subject: distinguishedName(CA_COMMON_NAME),
    publicKey: caKeys.publicKey,
    selfKey: caKeys.privateKey,
    days,
    isCa: true,
  });
  const ca: Pem = { cert: caCert, key: privateKeyPem(caKeys.privateKey) };
  const issuer = issuerFrom(ca.cert, ca.key);

  const { dnsNames, ips } = servingNames(opts.extraHosts ?? []);
  const serving = issue(issuer, distinguishedName(SERVING_COMMON_NAME), days, {
    extKeyUsage: [EXT_KEY_USAGE.serverAuth],
    dnsNames,
    ips,
  });
  const client = (cn: string, orgs: readonly string[]): Pem =>
    opts.clientCert ? opts.clientCert(cn, [...orgs], ca) : issueClientCertificate(ca, cn, [...orgs], days);

  const sa = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    ca,
    serving,
    admin: client(ADMIN_USER.cn, ADMIN_USER.orgs),
    controllerManager: client(CONTROLLER_MANAGER_USER.cn, CONTROLLER_MANAGER_USER.orgs),
    serviceAccount: {
      publicKey: sa.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      privateKey: privateKeyPem(sa.privateKey),
    },
  };
}

/** A clientAuth certificate (CN=commonName, one O= per organization) signed by `ca` (EC, RSA or Ed25519 key). */
export function issueClientCertificate(
  ca: Pem,
  commonName: string,
  organizations: string[],
  days = DEFAULT_DAYS,
): Pem {
  return issue(issuerFrom(ca.cert, ca.key), distinguishedName(commonName, organizations), validDays(days), {
    extKeyUsage: [EXT_KEY_USAGE.clientAuth],
  });
}

function issue(issuer: Issuer, subject: Buffer, days: number, spec: Partial<CertSpec>): Pem {
  const keys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const cert = buildCertificate({ ...spec, subject, publicKey: keys.publicKey, issuer, days });
  return { cert, key: privateKeyPem(keys.privateKey) };
}

function servingNames(extraHosts: string[]): { dnsNames: string[]; ips: Buffer[] } {
  const dnsNames = new Map<string, string>();
  const ips = new Map<string, Buffer>();
  for (const raw of [...SERVING_DNS_NAMES, ...SERVING_IPS, ...extraHosts]) {
    const host = raw.trim().replace(/^\[(.*)\]$/, '$1');
    if (!host) continue;
    if (isIP(host)) {
      const bytes = ipBytes(host);
      if (!ips.has(bytes.toString('hex'))) ips.set(bytes.toString('hex'), bytes);
    } else {
      if (!/^[\x21-\x7e]+$/.test(host))
        throw new Error(`invalid DNS name for a certificate: ${JSON.stringify(raw)}`);
      if (!dnsNames.has(host.toLowerCase())) dnsNames.set(host.toLowerCase(), host);
    }
  }
  return { dnsNames: [...dnsNames.values()], ips: [...ips.values()] };
}

function validDays(days: number): number {
  if (!Number.isFinite(days) || days <= 0)
    throw new RangeError(`certificate validity must be > 0 days, got ${days}`);
  return days;
}

function privateKeyPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}
