import { mirrorContentHash } from './hash.js';
import type { MirrorKeys } from './keys.js';
import { KUBEMIRROR_FIELD_MANAGER, writtenByKubemirror } from './ownership.js';
import type { KubeObject } from './types.js';

/** The content hash of a summarised mirror, computed from its body before the body was dropped. */
const hashes = new WeakMap<object, string>();
/** The managedFields summary is the same for every mirror of one prefix: one frozen copy, shared. */
const proofs = new Map<string, unknown>();

function ownershipProof(keys: MirrorKeys): unknown {
  let proof = proofs.get(keys.prefix);
  if (!proof) {
    proof = Object.freeze([
      Object.freeze({
        manager: KUBEMIRROR_FIELD_MANAGER,
        operation: 'Update',
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': {
            'f:labels': { [`f:${keys.mirror}`]: {} },
            'f:annotations': { [`f:${keys.sourceUid}`]: {} },
          },
        },
      }),
    ]);
    proofs.set(keys.prefix, proof);
  }
  return proof;
}

/**
 * What the controller keeps of a live mirror (SPEC §2 "Memory"): a mirror whose content is exactly what its
 * `P/source-content-hash` records — the usual case, and the only one where a payload is large (a CA bundle in a
 * ConfigMap or Secret) — is kept as its metadata, its content hash, and the few body fields decisions read
 * (a Secret's `type`, `immutable`); `managedFields` shrinks to the one proof ownership needs (writtenByKubemirror).
 * A mirror that differs (the server defaulted it, a webhook labelled it, someone edited it) stays whole: liveDrift
 * reads its body and managedFields to tell which, and such objects are small specs, not payloads.
 */
export function summarizeMirror(obj: KubeObject, keys: MirrorKeys, asWritten = false): KubeObject {
  // `asWritten`: this is the very version our own write stored (its echo): in sync by construction, whatever the
  // server changed on the way in, so neither its body nor its hash is needed (isAsWritten)
  const hash = asWritten ? undefined : mirrorContentHash(obj, keys);
  if (hash !== undefined && hash !== obj.metadata.annotations?.[keys.contentHash]) {
    hashes.set(obj, hash);
    return obj;
  }
  const { managedFields: _mf, ...metadata } = obj.metadata as KubeObject['metadata'] & {
    managedFields?: unknown;
  };
  const summary: KubeObject = { apiVersion: obj.apiVersion, kind: obj.kind, metadata };
  if (obj.type !== undefined) summary.type = obj.type;
  if (obj.immutable !== undefined) summary.immutable = obj.immutable;
  if (writtenByKubemirror(obj, keys))
    (summary.metadata as { managedFields?: unknown }).managedFields = ownershipProof(keys);
  if (hash === undefined) written.add(summary);
  else hashes.set(summary, hash);
  return summary;
}

/** Summaries of our own writes' echoes (summarizeMirror `asWritten`): in sync until a newer version arrives. */
const written = new WeakSet<object>();

export function isAsWritten(obj: KubeObject): boolean {
  return written.has(obj);
}

/** The content hash of a live mirror: remembered from summarizeMirror, else computed from the body (never call it
 * for an `isAsWritten` summary: it has no body to hash). */
export function liveContentHash(obj: KubeObject, keys: MirrorKeys): string {
  return hashes.get(obj) ?? mirrorContentHash(obj, keys);
}
