import { execFileSync, spawnSync } from 'node:child_process';
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  X509Certificate,
} from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import * as der from '../../control-plane/der.js';
import { createControlPlanePki, issueClientCertificate, type Pem } from '../../control-plane/pki.js';
import { buildCertificate, distinguishedName } from '../../control-plane/x509.js';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const DAY_MS = 86_400_000;

const pki = createControlPlanePki({
  extraHosts: ['10.96.0.1', 'api.example.test', '[fd00::10]', 'LOCALHOST'],
});
const cert = (pem: Pem | string): X509Certificate =>
  new X509Certificate(typeof pem === 'string' ? pem : pem.cert);
const caCert = cert(pki.ca);

/** TBSCertificate fields and extensions (by dotted-OID DER hex) of a certificate, via the test's DER reader. */
function inspect(pem: Pem) {
  const [tbs] = der.children(der.readTlv(cert(pem).raw));
  const fields = der.children(tbs!);
  const extensions = new Map<string, { critical: boolean; value: Buffer }>();
  for (const ext of der.children(der.children(fields[7]!)[0]!)) {
    const parts = der.children(ext);
    extensions.set(parts[0]!.raw.toString('hex'), {
      critical: parts.length === 3 && parts[1]!.content[0] === 0xff,
      value: parts[parts.length - 1]!.content,
    });
  }
  const ext = (oid: string) => extensions.get(der.oid(oid).toString('hex'));
  return { version: fields[0]!, serial: fields[1]!, validity: der.children(fields[4]!), ext };
}

describe('der', () => {
  const hex = (buffer: Buffer): string => buffer.toString('hex');
  it('encodes minimal non-negative INTEGERs', () => {
    expect(hex(der.integer(0))).toBe('020100');
    expect(hex(der.integer(127))).toBe('02017f');
    expect(hex(der.integer(128))).toBe('02020080');
    expect(hex(der.integer(0x10000))).toBe('0203010000');
    expect(hex(der.integer(Buffer.from([0, 0, 1])))).toBe('020101');
    expect(hex(der.integer(Buffer.from([0xff, 0x01])))).toBe('020300ff01');
  });
  it('encodes OIDs, lengths, times and named bits', () => {
    expect(hex(der.oid('1.2.840.10045.4.3.2'))).toBe('06082a8648ce3d040302');
    expect(hex(der.oid('2.5.29.17'))).toBe('0603551d11');
    expect(hex(der.octetString(Buffer.alloc(200))).slice(0, 6)).toBe('0481c8');
    expect(hex(der.octetString(Buffer.alloc(300))).slice(0, 8)).toBe('0482012c');
    expect(der.time(new Date('2049-12-31T23:59:59.999Z')).toString('latin1')).toBe('\x17\x0d491231235959Z');
    expect(der.time(new Date('2050-01-01T00:00:00Z')).toString('latin1')).toBe('\x18\x0f20500101000000Z');
    expect(hex(der.namedBits([0, 5, 6]))).toBe('03020186');
    expect(hex(der.namedBits([0]))).toBe('03020780');
    expect(hex(der.boolean(true))).toBe('0101ff');
    expect(() => der.printableString('system:masters')).not.toThrow();
    expect(() => der.printableString('a_b')).toThrow();
  });
  it('reads back what it writes', () => {
    const encoded = der.sequence(der.integer(5), der.explicit(3, der.octetString(Buffer.alloc(300, 1))));
    const [first, second] = der.children(der.readTlv(encoded));
    expect(first!.content).toEqual(Buffer.from([5]));
    expect(second!.tag).toBe(0xa3);
    expect(der.readTlv(second!.content).content.length).toBe(300);
  });
});

describe('createControlPlanePki', () => {
  it('makes a self-signed P-256 CA with CA:true and keyCertSign|cRLSign|digitalSignature', () => {
    expect(caCert.subject).toBe('CN=kubemirror-ca');
    expect(caCert.issuer).toBe('CN=kubemirror-ca');
    expect(caCert.ca).toBe(true);
    expect(caCert.verify(caCert.publicKey)).toBe(true);
    expect(caCert.checkIssued(caCert)).toBe(true);
    expect(caCert.checkPrivateKey(createPrivateKey(pki.ca.key))).toBe(true);
    const { version, ext } = inspect(pki.ca);
    expect(version.raw.toString('hex')).toBe('a003020102'); // v3
    expect(ext('2.5.29.19')).toEqual({ critical: true, value: Buffer.from('30030101ff', 'hex') });
    expect(ext('2.5.29.15')).toEqual({ critical: true, value: Buffer.from('03020186', 'hex') });
    expect(ext('2.5.29.14')?.value.length).toBe(22); // OCTET STRING(20-byte SHA-1)
  });

  it('issues a kube-apiserver serving cert for the default and extra names', () => {
    const serving = cert(pki.serving);
    expect(serving.subject).toBe('CN=kube-apiserver');
    expect(serving.issuer).toBe('CN=kubemirror-ca');
    expect(serving.ca).toBe(false);
    expect(serving.verify(caCert.publicKey)).toBe(true);
    expect(serving.checkIssued(caCert)).toBe(true);
    expect(serving.keyUsage).toEqual([SERVER_AUTH]);
    const san = serving.subjectAltName!.split(', ');
    for (const dns of [
      'localhost',
      'kubernetes',
      'kubernetes.default',
      'kubernetes.default.svc',
      'api.example.test',
    ]) {
      expect(san).toContain(`DNS:${dns}`);
      expect(serving.checkHost(dns)).toBe(dns);
    }
    expect(san.filter((entry) => entry.toLowerCase() === 'dns:localhost')).toHaveLength(1);
    expect(san).toContain('IP Address:127.0.0.1');
    expect(san).toContain('IP Address:10.96.0.1');
    expect(san.filter((entry) => entry.startsWith('IP Address:'))).toHaveLength(4);
    for (const ip of ['127.0.0.1', '::1', '10.96.0.1', 'fd00::10']) expect(serving.checkIP(ip)).toBe(ip);
    expect(serving.checkHost('example.com')).toBeUndefined();
    expect(serving.checkIP('127.0.0.2')).toBeUndefined();
    const { ext } = inspect(pki.serving);
    expect(ext('2.5.29.19')).toEqual({ critical: true, value: Buffer.from('3000', 'hex') });
    expect(ext('2.5.29.15')).toEqual({ critical: true, value: Buffer.from('03020780', 'hex') });
    expect(ext('2.5.29.35')!.value.subarray(4)).toEqual(inspect(pki.ca).ext('2.5.29.14')!.value.subarray(2));
  });

  it('issues admin (system:masters) and controller-manager client certs', () => {
    const admin = cert(pki.admin);
    expect(admin.subject).toBe('O=system:masters\nCN=kubemirror-admin');
    const cm = cert(pki.controllerManager);
    expect(cm.subject).toBe('CN=system:kube-controller-manager');
    for (const [leaf, pem] of [
      [admin, pki.admin],
      [cm, pki.controllerManager],
    ] as const) {
      expect(leaf.issuer).toBe('CN=kubemirror-ca');
      expect(leaf.ca).toBe(false);
      expect(leaf.keyUsage).toEqual([CLIENT_AUTH]);
      expect(leaf.subjectAltName).toBeUndefined();
      expect(leaf.verify(caCert.publicKey)).toBe(true);
      expect(leaf.verify(cert(pki.serving).publicKey)).toBe(false);
      expect(leaf.checkIssued(caCert)).toBe(true);
      expect(leaf.checkPrivateKey(createPrivateKey(pem.key))).toBe(true);
    }
  });

  it('uses PKCS#8 P-256 keys, 16-byte positive serials and now-1h .. now+days validity', () => {
    const now = Date.now();
    const serials = new Set<string>();
    for (const pem of [pki.ca, pki.serving, pki.admin, pki.controllerManager]) {
      expect(pem.key).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
      const key = createPrivateKey(pem.key);
      expect(key.asymmetricKeyType).toBe('ec');
      expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
      const leaf = cert(pem);
      expect(Math.abs(new Date(leaf.validFrom).getTime() - (now - 3_600_000))).toBeLessThan(60_000);
      expect(Math.abs(new Date(leaf.validTo).getTime() - (now + 7 * DAY_MS))).toBeLessThan(60_000);
      const { serial, validity } = inspect(pem);
      const magnitude = serial.content[0] === 0 ? serial.content.subarray(1) : serial.content;
      expect(magnitude.length).toBe(16);
      expect(serial.content[0] === 0).toBe((magnitude[0]! & 0x80) !== 0);
      expect(validity.map((t) => t.tag)).toEqual([0x17, 0x17]); // UTCTime before 2050
      serials.add(leaf.serialNumber);
    }
    expect(serials.size).toBe(4);
    const long = createControlPlanePki({ days: 30 });
    expect(new Date(cert(long.admin).validTo).getTime() - now).toBeGreaterThan(29 * DAY_MS);
    expect(cert(long.admin).verify(cert(long.ca).publicKey)).toBe(true);
    expect(cert(long.admin).verify(caCert.publicKey)).toBe(false);
  });

  it('provides a usable service-account key pair (SPKI public, PKCS#8 private)', () => {
    const { publicKey, privateKey } = pki.serviceAccount;
    expect(publicKey).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const signature = sign('sha256', Buffer.from('token'), createPrivateKey(privateKey));
    expect(verify('sha256', Buffer.from('token'), createPublicKey(publicKey), signature)).toBe(true);
  });

  it('routes client certs through the clientCert hook when given', () => {
    const calls: [string, string[]][] = [];
    const custom = createControlPlanePki({
      clientCert: (cn, orgs, ca) => {
        calls.push([cn, orgs]);
        return issueClientCertificate(ca, `${cn}-custom`, orgs);
      },
    });
    expect(calls).toEqual([
      ['kubemirror-admin', ['system:masters']],
      ['system:kube-controller-manager', []],
    ]);
    expect(cert(custom.admin).subject).toBe('O=system:masters\nCN=kubemirror-admin-custom');
    expect(cert(custom.admin).checkIssued(cert(custom.ca))).toBe(true);
  });

  it('rejects bad options', () => {
    expect(() => createControlPlanePki({ days: 0 })).toThrow(/days/);
    expect(() => createControlPlanePki({ extraHosts: ['bad host'] })).toThrow(/DNS name/);
    expect(() => createControlPlanePki({ extraHosts: ['fe80::1%eth0'] })).toThrow(/IP address/);
  });
});

describe('issueClientCertificate', () => {
  it('issues another user signed by the CA (any number of groups)', () => {
    const user = cert(issueClientCertificate(pki.ca, 'jane', ['system:authenticated']));
    expect(user.subject).toBe('O=system:authenticated\nCN=jane');
    expect(user.checkIssued(caCert)).toBe(true);
    expect(user.verify(caCert.publicKey)).toBe(true);
    expect(user.keyUsage).toEqual([CLIENT_AUTH]);
    expect(cert(issueClientCertificate(pki.ca, 'x', ['a', 'b'])).subject).toBe('O=a\nO=b\nCN=x');
    expect(cert(issueClientCertificate(pki.ca, 'nobody', [])).subject).toBe('CN=nobody');
  });

  it('refuses a non-CA issuer or a key that does not match', () => {
    expect(() => issueClientCertificate(pki.admin, 'x', [])).toThrow(/not a CA/);
    expect(() => issueClientCertificate({ cert: pki.ca.cert, key: pki.admin.key }, 'x', [])).toThrow(/match/);
  });

  it('signs with an RSA or Ed25519 CA too', () => {
    for (const type of ['rsa', 'ed25519'] as const) {
      const keys =
        type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ed25519');
      const ca: Pem = {
        cert: buildCertificate({
          subject: distinguishedName(`${type}-ca`),
          publicKey: keys.publicKey,
          selfKey: keys.privateKey,
          days: 1,
          isCa: true,
        }),
        key: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      };
      const leaf = cert(issueClientCertificate(ca, 'u', []));
      expect(leaf.verify(cert(ca).publicKey)).toBe(true);
      expect(leaf.checkIssued(cert(ca))).toBe(true);
    }
  });
});

interface Outcome {
  serverAuthorized?: boolean;
  serverPeer?: tls.PeerCertificate;
  serverError?: Error;
  clientAuthorized?: boolean;
  clientPeer?: tls.PeerCertificate;
  clientError?: Error;
  received: string;
}

/** One TLS connection over 127.0.0.1 between a mutual-TLS server and a client; waits for both ends to finish. */
async function tlsRoundTrip(server: tls.TlsOptions, client: tls.ConnectionOptions): Promise<Outcome> {
  const out: Outcome = { received: '' };
  let serverDone!: () => void;
  const serverFinished = new Promise<void>((resolve) => {
    serverDone = resolve;
  });
  const srv = tls.createServer({ requestCert: true, rejectUnauthorized: true, ...server }, (socket) => {
    out.serverAuthorized = socket.authorized;
    out.serverPeer = socket.getPeerCertificate();
    socket.end('hello');
    serverDone();
  });
  srv.on('tlsClientError', (err) => {
    out.serverError = err;
    serverDone();
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  try {
    await new Promise<void>((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ...client }, () => {
        out.clientAuthorized = socket.authorized;
        out.clientPeer = socket.getPeerCertificate();
      });
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        out.received += chunk;
      });
      socket.on('error', (err) => {
        out.clientError = err;
      });
      socket.on('close', () => resolve());
    });
    await serverFinished;
  } finally {
    await new Promise((resolve) => srv.close(resolve));
  }
  return out;
}

describe('TLS with the generated PKI', () => {
  const server = { key: pki.serving.key, cert: pki.serving.cert, ca: [pki.ca.cert] };
  const admin = { ca: [pki.ca.cert], key: pki.admin.key, cert: pki.admin.cert };

  it('authorizes both sides of a mutual-TLS connection to 127.0.0.1', async () => {
    const out = await tlsRoundTrip(server, admin);
    expect(out.serverError).toBeUndefined();
    expect(out.clientError).toBeUndefined();
    expect(out.received).toBe('hello');
    expect(out.serverAuthorized).toBe(true);
    expect(out.clientAuthorized).toBe(true);
    expect(out.serverPeer?.subject).toEqual({ O: 'system:masters', CN: 'kubemirror-admin' });
    expect(out.clientPeer?.subject).toEqual({ CN: 'kube-apiserver' });
  });

  it('verifies the serving cert by DNS name (SNI kubernetes.default.svc)', async () => {
    const out = await tlsRoundTrip(server, { ...admin, servername: 'kubernetes.default.svc' });
    expect(out.clientAuthorized).toBe(true);
    expect(out.received).toBe('hello');
  });

  it('rejects a client without a certificate or with one from another CA', async () => {
    const anonymous = await tlsRoundTrip(server, { ca: [pki.ca.cert] });
    expect(anonymous.serverError).toBeDefined();
    expect(anonymous.received).toBe('');
    const other = createControlPlanePki();
    const foreign = await tlsRoundTrip(server, { ...admin, key: other.admin.key, cert: other.admin.cert });
    expect(foreign.serverError).toBeDefined();
    expect(foreign.serverAuthorized).toBeUndefined();
    expect(foreign.received).toBe('');
  });

  it('makes the client reject a serving cert from another CA or for another name', async () => {
    const other = createControlPlanePki();
    const wrongCa = await tlsRoundTrip(server, { ...admin, ca: [other.ca.cert] });
    expect(wrongCa.clientError?.message).toMatch(/certificate/i);
    const wrongName = await tlsRoundTrip(server, { ...admin, servername: 'example.com' });
    expect(wrongName.clientError?.message).toMatch(/example\.com|altnames/i);
  });
});

const hasGo = spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!hasGo)('Go crypto/x509 + crypto/tls accept the PKI', () => {
  it('parses, verifies and completes a mutual-TLS handshake in Go', { timeout: 300_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubemirror-pki-go-'));
    try {
      const files: Record<string, string> = {
        'ca.crt': pki.ca.cert,
        'serving.crt': pki.serving.cert,
        'serving.key': pki.serving.key,
        'admin.crt': pki.admin.cert,
        'admin.key': pki.admin.key,
        'cm.crt': pki.controllerManager.cert,
        'cm.key': pki.controllerManager.key,
        'sa.pub': pki.serviceAccount.publicKey,
        'sa.key': pki.serviceAccount.privateKey,
        'main.go': GO_CHECK,
      };
      for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
      const { GOFLAGS: _ignored, ...env } = process.env;
      const stdout = execFileSync('go', ['run', 'main.go', dir], {
        cwd: dir,
        env: { ...env, GOTOOLCHAIN: 'local', GO111MODULE: 'on' },
        encoding: 'utf8',
      });
      expect(JSON.parse(stdout)).toEqual({
        peerCN: 'kubemirror-admin',
        peerO: ['system:masters'],
        caIsCA: true,
        akiMatchesSki: true,
        servingDNS: [
          'localhost',
          'kubernetes',
          'kubernetes.default',
          'kubernetes.default.svc',
          'api.example.test',
        ],
        servingIPs: ['127.0.0.1', '::1', '10.96.0.1', 'fd00::10'],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const GO_CHECK = `package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"os"
	"path/filepath"
)

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func main() {
	dir := os.Args[1]
	read := func(name string) []byte { return must(os.ReadFile(filepath.Join(dir, name))) }
	der := func(name string) []byte { block, _ := pem.Decode(read(name)); return block.Bytes }
	ca := must(x509.ParseCertificate(der("ca.crt")))
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	serving := must(tls.X509KeyPair(read("serving.crt"), read("serving.key")))
	admin := must(tls.X509KeyPair(read("admin.crt"), read("admin.key")))
	must(tls.X509KeyPair(read("cm.crt"), read("cm.key")))
	must(x509.ParsePKIXPublicKey(der("sa.pub")))
	must(x509.ParsePKCS8PrivateKey(der("sa.key")))
	srv := must(x509.ParseCertificate(der("serving.crt")))
	for _, host := range []string{"localhost", "kubernetes.default.svc", "127.0.0.1", "::1"} {
		must(srv.Verify(x509.VerifyOptions{Roots: roots, DNSName: host, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}))
	}
	for _, name := range []string{"admin.crt", "cm.crt"} {
		leaf := must(x509.ParseCertificate(der(name)))
		must(leaf.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}))
	}
	ln := must(tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{serving}, ClientCAs: roots, ClientAuth: tls.RequireAndVerifyClientCert}))
	peer := make(chan *x509.Certificate, 1)
	go func() {
		conn := must(ln.Accept()).(*tls.Conn)
		if err := conn.Handshake(); err != nil {
			panic(err)
		}
		peer <- conn.ConnectionState().PeerCertificates[0]
		conn.Write([]byte("ok"))
		conn.Close()
	}()
	conn := must(tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{admin}, ServerName: "kubernetes.default.svc"}))
	if got := string(must(io.ReadAll(conn))); got != "ok" {
		panic("unexpected reply " + got)
	}
	p := <-peer
	ips := []string{}
	for _, ip := range srv.IPAddresses {
		ips = append(ips, ip.String())
	}
	json.NewEncoder(os.Stdout).Encode(map[string]any{
		"peerCN": p.Subject.CommonName, "peerO": p.Subject.Organization, "caIsCA": ca.IsCA && ca.BasicConstraintsValid,
		"akiMatchesSki": bytes.Equal(p.AuthorityKeyId, ca.SubjectKeyId) && len(ca.SubjectKeyId) == 20,
		"servingDNS": srv.DNSNames, "servingIPs": ips,
	})
}
`;
