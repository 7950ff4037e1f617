import type { Answer } from './types.js';

/**
 * Generated values made comparable, per case and server: every uid and object resourceVersion becomes a token
 * numbered in order of first appearance (`<uid-1>`, `<rv-2>`), so "the update returned a new resourceVersion" and
 * "the no-op kept it" still compare, while the numbers themselves do not; list and bookmark resourceVersions
 * (which count other cases' writes too) become `<rv>`, continue tokens `<continue>`, timestamps `<time>`,
 * allocated IPs `<ip>` and node ports `<port>`, a generateName's random suffix `<suffix>`, a Table's ages (Age and
 * date columns) `<age>`.
 */
/**
 * A timestamp the server made (creation, deletion, managedFields, …) is near the wall clock; the catalogue's own
 * timestamps (an Event's eventTime, a Lease's renewTime) are in the past and compared as they are, and so is Go's
 * reference time in time-parse errors.
 */
function generated(t: string): boolean {
  return Math.abs(Date.parse(t) - Date.now()) < 6 * 3600_000;
}

/**
 * managedFields in the order the field manager sorts them (operation, then time in whole seconds, then manager,
 * then subresource) with the time left out: two writes either side of a second boundary swap places otherwise.
 */
function sortEntries(entries: unknown[]): unknown[] {
  const key = (e: unknown) => {
    const m = (e ?? {}) as Record<string, unknown>;
    return [m.operation, m.manager, m.subresource].map((x) => String(x ?? '')).join('\u0000');
  };
  return [...entries].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function initialEventsEnd(o: unknown): boolean {
  const annotations = (o as { metadata?: { annotations?: Record<string, string> } } | null)?.metadata
    ?.annotations;
  return annotations?.['k8s.io/initial-events-end'] === 'true';
}

/** duration.HumanDuration's text (`0s`, `5m3s`, `2d`, `3y12d`), as an Age or a date column prints a timestamp */
const isAge = (c: unknown) => typeof c === 'string' && /^(?:\d+[smhdy])+$/.test(c);

/**
 * The columns of a Table whose cells are ages of a timestamp: Age, and a custom resource's date columns (its
 * additionalPrinterColumns of type date, and the Age of a CRD without any). Their other texts (`<unknown>` for no
 * time, `<invalid>` for a malformed one) are compared as they are.
 */
function ageColumns(definitions: unknown[]): Set<number> {
  const out = new Set<number>();
  definitions.forEach((d, i) => {
    const c = (d ?? {}) as { name?: unknown; type?: unknown };
    if (c.name === 'Age' || c.type === 'date') out.add(i);
  });
  return out;
}

export class Normaliser {
  private readonly uids = new Map<string, string>();
  private readonly rvs = new Map<string, string>();
  private readonly names = new Map<string, string>();
  private ageColumns = new Set<number>();

  answer(a: Answer): Answer {
    const out: Answer = { ...a, warnings: a.warnings.map((w) => this.text(w)) };
    if (a.body !== undefined) out.body = this.value(a.body, []);
    if (a.events) {
      // periodic bookmarks come when the server's timer says (kube-apiserver: about a minute, or just before the
      // watch times out, or not); the bookmark that ends the initial events is part of the protocol and stays
      out.events = a.events
        .filter((e) => e.type !== 'BOOKMARK' || initialEventsEnd(e.object))
        .map((e) => ({ type: e.type, object: this.value(e.object, []) }));
    }
    if (a.kubectl) {
      out.kubectl = {
        exit: a.kubectl.exit,
        stdout: this.kubectlText(a.kubectl.stdout),
        stderr: this.kubectlText(a.kubectl.stderr),
      };
    }
    return out;
  }

  private token(map: Map<string, string>, prefix: string, v: string): string {
    let t = map.get(v);
    if (!t) {
      t = `<${prefix}-${map.size + 1}>`;
      map.set(v, t);
    }
    return t;
  }

  /** a value at `path` (keys from the root) */
  value(v: unknown, path: string[]): unknown {
    if (Array.isArray(v)) return v.map((x, i) => this.value(x, [...path, String(i)]));
    if (v !== null && typeof v === 'object') return this.object(v as Record<string, unknown>, path);
    if (typeof v === 'string') return this.scalar(v, path);
    // node ports are allocated at random from the range
    const key = path[path.length - 1];
    if (typeof v === 'number' && (key === 'nodePort' || key === 'healthCheckNodePort')) return '<port>';
    return v;
  }

  private object(o: Record<string, unknown>, path: string[]): Record<string, unknown> {
    const meta = path[path.length - 1] === 'metadata';
    // a generateName's suffix: the name is the prefix and five random characters
    if (meta && typeof o.generateName === 'string' && typeof o.name === 'string') {
      const g = o.generateName;
      if (o.name.startsWith(g) && o.name.length === g.length + 5) this.names.set(o.name, `${g}<suffix>`);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) {
      if (meta && k === 'resourceVersion' && typeof v === 'string') {
        // an object's resourceVersion is tokenised; a list's or a bookmark's (metadata without uid) is opaque
        out[k] =
          typeof o.uid === 'string' || typeof o.name === 'string' ? this.token(this.rvs, 'rv', v) : '<rv>';
      } else if (meta && k === 'continue' && typeof v === 'string' && v !== '') out[k] = '<continue>';
      else if (meta && k === 'managedFields' && Array.isArray(v))
        out[k] = this.value(sortEntries(v), [...path, k]);
      else if (
        k === 'rows' &&
        Array.isArray(v) &&
        (Array.isArray(o.columnDefinitions) || o.columnDefinitions === null)
      ) {
        // a watch's later Table events carry no column definitions: the first event's say where the ages are
        if (Array.isArray(o.columnDefinitions)) this.ageColumns = ageColumns(o.columnDefinitions);
        const ages = this.ageColumns;
        out[k] = v.map((row, i) => {
          const r = this.value(row, [...path, k, String(i)]) as { cells?: unknown[] };
          if (Array.isArray(r.cells))
            r.cells = r.cells.map((c, j) => (ages.has(j) && isAge(c) ? '<age>' : c));
          return r;
        });
      } else out[k] = this.value(v, [...path, k]);
    }
    return out;
  }

  private scalar(v: string, path: string[]): unknown {
    const key = path[path.length - 1] ?? '';
    if (key === 'uid' && v !== '') return this.token(this.uids, 'uid', v);
    if (key === 'resourceVersion' && /^\d+$/.test(v)) return this.token(this.rvs, 'rv', v);
    if (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(v) && generated(v)) return '<time>';
    if ((key === 'clusterIP' || path[path.length - 2] === 'clusterIPs') && /^\d+\.\d+\.\d+\.\d+$/.test(v))
      return '<ip>';
    if (key === 'name' && this.names.has(v)) return this.names.get(v);
    return this.text(v);
  }

  /** free text (messages, warnings, kubectl output): the generated values it quotes */
  text(s: string): string {
    let out = s;
    for (const [uid, t] of this.uids) out = out.split(uid).join(t);
    for (const [name, t] of this.names) out = out.split(name).join(t);
    out = out.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, (u) =>
      this.token(this.uids, 'uid', u),
    );
    // the resourceVersions a message quotes (preconditions, storage errors, too old / too large)
    out = out.replace(
      /(ResourceVersion(?: in (?:the precondition|record))? \(|ResourceVersion in (?:precondition|object meta): |ResourceVersion: |resource version: )(\d+)/g,
      (_m, pre: string, rv: string) => `${pre}${this.rvs.get(rv) ?? '<rv>'}`,
    );
    // the server's latest resourceVersion a too-large read quotes: a list's, counting other cases' writes (it is one
    // of the case's objects' only when nothing else was written since)
    out = out.replace(/(Too large resource version: \S+, current: )\d+/g, '$1<rv>');
    // an address allocated from the service range that a message quotes
    out = out.replace(/\b10\.96\.\d{1,3}\.\d{1,3}\b/g, '<ip>');
    // an object quoted as JSON inside a message (a patch's 422): its resourceVersion
    out = out.replace(
      /(\\?"resourceVersion\\?":\\?")(\d+)/g,
      (_m, pre: string, rv: string) => `${pre}${this.rvs.get(rv) ?? '<rv>'}`,
    );
    out = out.replace(/(too old resource version: (?:<rv[^>]*>|\d+) \()(\d+)\)/g, '$1<rv>)');
    out = out.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)/g, (t) =>
      generated(t) ? '<time>' : t,
    );
    return out;
  }

  private kubectlText(s: string): string {
    let out = this.text(s);
    // a table: ages (0s, 5m3s, 2d) are wall-clock time, and the columns are padded to the widest cell, which an
    // allocated IP or an age changes
    if (/^NAME\s/.test(out)) {
      out = out
        .split('\n')
        .map((l) => l.replace(/(^|\s)(?:\d+[smhdy])+(?=\s|$)/g, '$1<age>').replace(/\s{2,}/g, ' '))
        .join('\n');
    }
    return out
      .replace(/^(\s*resourceVersion: )"?\d+"?$/gm, '$1<rv>')
      .replace(/(\d+\.\d+\.\d+\.\d+)/g, '<ip>');
  }
}
