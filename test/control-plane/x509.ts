/**
 * X.509 v3 certificate construction on top of der.ts: names, extensions, signing, issuer extraction.
 */
import {
  createHash,
  createPrivateKey,
  type KeyObject,
  randomBytes,
  sign,
  X509Certificate,
} from 'node:crypto';
import { isIP } from 'node:net';
import * as der from './der.js';

export const EXT_KEY_USAGE = { serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2' };

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  ed25519: '1.3.101.112',
};
const KEY_USAGE = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 };
const HOUR_MS = 3_600_000;

export interface Issuer {
  name: Buffer; // DER Name, copied byte for byte into the leaf's issuer field
  keyId: Buffer;
  key: KeyObject;
}

export interface CertSpec {
  subject: Buffer;
  publicKey: KeyObject;
  issuer?: Issuer; // absent: self-signed with `selfKey`
  selfKey?: KeyObject;
  days: number;
  isCa?: boolean;
  extKeyUsage?: string[];
  dnsNames?: string[];
  ips?: Buffer[];
}

/** Signs `spec` with its issuer (or itself) and returns the certificate PEM. */
export function buildCertificate(spec: CertSpec): string {
  const spki = spec.publicKey.export({ type: 'spki', format: 'der' });
  const keyId = subjectKeyId(spki);
  const issuer = spec.issuer ?? { name: spec.subject, keyId, key: spec.selfKey! };
  const { algorithm, digest } = signatureAlgorithm(issuer.key);

  const extension = (id: string, critical: boolean, value: Buffer): Buffer =>
    der.sequence(der.oid(id), ...(critical ? [der.boolean(true)] : []), der.octetString(value));
  const extensions = [
    extension(OID.basicConstraints, true, der.sequence(...(spec.isCa ? [der.boolean(true)] : []))),
    extension(
      OID.keyUsage,
      true,
      der.namedBits(
        spec.isCa
          ? [KEY_USAGE.digitalSignature, KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign]
          : [KEY_USAGE.digitalSignature],
      ),
    ),
  ];
  if (spec.extKeyUsage?.length) {
    extensions.push(extension(OID.extKeyUsage, false, der.sequence(...spec.extKeyUsage.map(der.oid))));
  }
  const altNames = [
    ...(spec.dnsNames ?? []).map((name) => der.implicit(2, Buffer.from(name, 'ascii'))),
    ...(spec.ips ?? []).map((ip) => der.implicit(7, ip)),
  ];
  if (altNames.length) extensions.push(extension(OID.subjectAltName, false, der.sequence(...altNames)));
  extensions.push(extension(OID.subjectKeyIdentifier, false, der.octetString(keyId)));
  extensions.push(extension(OID.authorityKeyIdentifier, false, der.sequence(der.implicit(0, issuer.keyId))));

  const serial = randomBytes(16);
  serial[0] = serial[0]! | 0x01; // never zero, always 16 significant bytes; der.integer adds 0x00 if needed
  const now = Math.floor(Date.now() / 1000) * 1000;
  const tbs = der.sequence(
    der.explicit(0, der.integer(2)), // v3
    der.integer(serial),
    algorithm,
    issuer.name,
    der.sequence(der.time(new Date(now - HOUR_MS)), der.time(new Date(now + spec.days * 24 * HOUR_MS))),
    spec.subject,
    spki,
    der.explicit(3, der.sequence(...extensions)),
  );
  const signature = sign(digest, tbs, issuer.key); // ECDSA: DER Ecdsa-Sig-Value, as X.509 expects
  return toPem('CERTIFICATE', der.sequence(tbs, algorithm, der.bitString(signature)));
}

/** Issuer data from a CA certificate + key: exact subject DER, its SKI (or SHA-1 of its key), the key. */
export function issuerFrom(caCert: string, caKey: string): Issuer {
  const x509 = new X509Certificate(caCert);
  if (!x509.ca) throw new Error('issuer certificate is not a CA (basicConstraints CA:false)');
  const key = createPrivateKey(caKey);
  if (!x509.checkPrivateKey(key)) throw new Error('CA key does not match the CA certificate');
  const fields = der.children(der.children(der.readTlv(x509.raw))[0]!);
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0; // [0] version present on v2/v3
  const name = fields[offset + 4]!.raw;
  const spki = fields[offset + 5]!.raw;
  const skiOid = der.oid(OID.subjectKeyIdentifier);
  const extensions = fields.find((field) => field.tag === 0xa3);
  const ski = (extensions ? der.children(der.children(extensions)[0]!) : [])
    .map((ext) => der.children(ext))
    .find((parts) => parts[0]?.raw.equals(skiOid));
  const keyId = ski ? der.readTlv(ski[ski.length - 1]!.content).content : subjectKeyId(spki);
  return { name, keyId, key };
}

/** Name: one RDN per O (in order), then CN; UTF8String values (':' is not PrintableString). */
export function distinguishedName(commonName: string, organizations: string[] = []): Buffer {
  const rdn = (type: string, value: string): Buffer =>
    der.set(der.sequence(der.oid(type), der.utf8String(value)));
  return der.sequence(...organizations.map((o) => rdn(OID.organization, o)), rdn(OID.commonName, commonName));
}

/** 4 or 16 network-order bytes for an IP literal (IPv6 may be compressed and/or end in a dotted quad). */
export function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  if (isIP(ip) !== 6 || ip.includes('%')) throw new Error(`unsupported IP address for a certificate: ${ip}`);
  let text = ip;
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, quad.index) + ((a << 8) | b).toString(16) + ':' + ((c << 8) | d).toString(16);
  }
  const [head = '', tail] = text.split('::');
  const groups = (part: string | undefined): string[] => (part ? part.split(':') : []);
  const left = groups(head);
  const right = groups(tail);
  const all =
    tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  const out = Buffer.alloc(16);
  for (const [i, group] of all.entries()) out.writeUInt16BE(Number.parseInt(group, 16), i * 2);
  return out;
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING value (without the unused-bits byte). */
function subjectKeyId(spki: Buffer): Buffer {
  const bits = der.children(der.readTlv(spki))[1];
  if (bits?.tag !== 0x03) throw new Error('malformed SubjectPublicKeyInfo');
  return createHash('sha1').update(bits.content.subarray(1)).digest();
}

function signatureAlgorithm(key: KeyObject): { algorithm: Buffer; digest: string | null } {
  switch (key.asymmetricKeyType) {
    case 'ec':
      return { algorithm: der.sequence(der.oid(OID.ecdsaWithSha256)), digest: 'sha256' };
    case 'rsa':
      return { algorithm: der.sequence(der.oid(OID.sha256WithRsa), der.nullValue()), digest: 'sha256' };
    case 'ed25519':
      return { algorithm: der.sequence(der.oid(OID.ed25519)), digest: null };
    default:
      throw new Error(`unsupported CA key type: ${key.asymmetricKeyType}`);
  }
}

export function toPem(label: string, body: Buffer): string {
  const lines = body.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
