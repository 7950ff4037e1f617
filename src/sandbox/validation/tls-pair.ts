import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';

/**
 * crypto/tls X509KeyPair's error for a kubernetes.io/tls Secret's tls.crt and tls.key, as the secret strategy's
 * warnings carry it (pkg/registry/core/secret/strategy.go warningsForSecret); undefined when they make a key pair.
 */
function pemBlocks(pem: string): { type: string; body: string; text: string }[] {
  const out: { type: string; body: string; text: string }[] = [];
  const re = /-----BEGIN ([^-\n]+)-----\r?\n([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(pem); m; m = re.exec(pem)) out.push({ type: m[1]!, body: m[2]!, text: m[0] });
  return out;
}

const list = (types: string[]) => `[${types.join(' ')}]`;

export function tlsKeyPairError(certPem: string, keyPem: string): string | undefined {
  const certBlocks = pemBlocks(certPem);
  const certs = certBlocks.filter((b) => b.type === 'CERTIFICATE');
  const skipped = certBlocks.filter((b) => b.type !== 'CERTIFICATE').map((b) => b.type);
  if (certs.length === 0) {
    if (skipped.length === 0) return 'tls: failed to find any PEM data in certificate input';
    if (skipped.length === 1 && skipped[0]!.endsWith('PRIVATE KEY'))
      return 'tls: failed to find certificate PEM data in certificate input, but did find a private key; PEM inputs may have been switched';
    return `tls: failed to find "CERTIFICATE" PEM block in certificate input after skipping PEM blocks of the following types: ${list(skipped)}`;
  }
  const keyBlocks = pemBlocks(keyPem);
  const key = keyBlocks.find((b) => b.type === 'PRIVATE KEY' || b.type.endsWith(' PRIVATE KEY'));
  if (!key) {
    const before = keyBlocks.map((b) => b.type);
    if (before.length === 0) return 'tls: failed to find any PEM data in key input';
    if (before.length === 1 && before[0] === 'CERTIFICATE')
      return 'tls: found a certificate rather than a key in the PEM for the private key';
    return `tls: failed to find PEM block with type ending in "PRIVATE KEY" in key input after skipping PEM blocks of the following types: ${list(before)}`;
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certs[0]!.text);
  } catch {
    return 'x509: malformed certificate';
  }
  let publicFromKey: string;
  let keyType: string | undefined;
  try {
    const priv = createPrivateKey(key.text);
    keyType = priv.asymmetricKeyType;
    publicFromKey = createPublicKey(priv).export({ type: 'spki', format: 'pem' }).toString();
  } catch {
    return 'tls: failed to parse private key';
  }
  if (cert.publicKey.asymmetricKeyType !== keyType)
    return 'tls: private key type does not match public key type';
  if (cert.publicKey.export({ type: 'spki', format: 'pem' }).toString() !== publicFromKey)
    return 'tls: private key does not match public key';
  return undefined;
}
