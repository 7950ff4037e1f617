import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { KubemirrorError } from '../core/errors.js';
import type { Sandbox } from './sandbox.js';

export class SeedError extends KubemirrorError {}

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string };
}

/** Every YAML document in a file, or in the .yaml/.yml/.json files of a directory (sorted, not recursive). */
export async function loadManifests(path: string): Promise<Manifest[]> {
  const info = await stat(path).catch((err: unknown) => {
    throw new SeedError('SeedNotFound', `seed ${path}: ${(err as Error).message}`, { cause: err });
  });
  const files = info.isDirectory()
    ? (await readdir(path))
        .filter((f) => /\.(ya?ml|json)$/.test(f))
        .sort()
        .map((f) => join(path, f))
    : [path];
  const out: Manifest[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(await readFile(file, 'utf8'))) {
      if (doc.errors.length > 0)
        throw new SeedError('InvalidSeed', `seed ${file}: ${doc.errors[0]!.message}`);
      const value = doc.toJS() as Manifest | null;
      if (value === null || value === undefined) continue;
      if (typeof value !== 'object' || !value.kind || !value.apiVersion) {
        throw new SeedError('InvalidSeed', `seed ${file}: every document needs apiVersion and kind`);
      }
      if (value.kind === 'List' && Array.isArray((value as { items?: unknown }).items))
        out.push(...(value as unknown as { items: Manifest[] }).items);
      else out.push(value);
    }
  }
  return out;
}

/** Namespaces first, then CRDs, then everything else, so that dependencies exist when they are needed. */
function rank(m: Manifest): number {
  if (m.kind === 'Namespace' && m.apiVersion === 'v1') return 0;
  if (m.kind === 'CustomResourceDefinition') return 1;
  return 2;
}

/** Loads the given files/directories and applies them in dependency order; returns how many objects. */
export async function applySeeds(
  sandbox: Pick<Sandbox, 'applyManifest'>,
  paths: readonly string[],
): Promise<number> {
  const manifests = (await Promise.all(paths.map(loadManifests))).flat();
  const ordered = manifests.map((m, i) => ({ m, i })).sort((a, b) => rank(a.m) - rank(b.m) || a.i - b.i);
  for (const { m } of ordered) {
    try {
      await sandbox.applyManifest(m);
    } catch (err) {
      const name = `${m.kind} ${m.metadata?.namespace ? `${m.metadata.namespace}/` : ''}${m.metadata?.name ?? ''}`;
      throw new SeedError('SeedRejected', `seed ${name}: ${(err as Error).message}`, { cause: err });
    }
  }
  return ordered.length;
}
