/**
 * What the catalogue knows of a kind (KindSpec): a valid object, a valid change, one patch of each type, an apply
 * configuration and a conflicting one, and the kind's own bad bodies; with the small builders the kind tables
 * (kinds-*.ts) share.
 */
export type Obj = Record<string, unknown>;

export interface KindSpec {
  /** the id in case ids: the kind, or kind.variant (`Secret.tls`) */
  id: string;
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  /** `full`: every generic body and verb; `light`: create/get/update/apply and the kind's own cases only */
  depth: 'full' | 'light';
  valid(name: string, ns: string): Obj;
  /** a valid change for PUT, of the object as read */
  change(o: Obj): Obj;
  merge: Obj;
  json: Obj[];
  strategic: Obj;
  /** an apply configuration (manager `alpha` applies it), and one setting another value to a field it owns */
  apply(name: string, ns: string): Obj;
  applyOther(name: string, ns: string): Obj;
  /** the kind's own bad bodies for create: name → body */
  invalid: Record<string, (name: string, ns: string) => Obj>;
  /** the kind's own bad changes for update: name → the changed object */
  badUpdates?: Record<string, (o: Obj) => Obj>;
  /** field selectors the kind supports beyond metadata.name/namespace */
  fieldSelectors?: string[];
}

export const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
export const clone = <T>(o: T): T => JSON.parse(JSON.stringify(o)) as T;
export const meta = (name: string, extra: Obj = {}) => ({ name, labels: { app: 'fid' }, ...extra });
/** a copy of `o` with `f` applied to it */
// biome-ignore lint/suspicious/noExplicitAny: edits reach into any field of a test object
export type Editable = Record<string, any>;
export const edit = (o: Obj, f: (c: Editable) => void): Obj => {
  const c = clone(o) as Editable;
  f(c);
  return c;
};

/** The URL prefix of a kind's group/version. */
export function apiPrefix(k: Pick<KindSpec, 'apiVersion'>): string {
  return k.apiVersion.includes('/') ? `/apis/${k.apiVersion}` : `/api/${k.apiVersion}`;
}
