import type { MirrorKeys } from '../core/keys.js';
import { readSourceSpec, type SourceSpec } from '../core/source-spec.js';
import type { KubeObject } from '../core/types.js';

/**
 * The parsed spec of each cached source object, parsed once per object version: cache objects are replaced,
 * never mutated, so the object itself is the key (and a replaced version is collected with it).
 */
export class SpecCache {
  private readonly specs = new WeakMap<KubeObject, SourceSpec>();

  constructor(private readonly keys: MirrorKeys) {}

  of(source: KubeObject): SourceSpec {
    let spec = this.specs.get(source);
    if (!spec) {
      spec = readSourceSpec(source, this.keys);
      this.specs.set(source, spec);
    }
    return spec;
  }
}
