/**
 * The mirrors this controller is writing or just wrote, so that the watch echo of our own write is recognised
 * and costs no re-plan. The echo can arrive before the write's own response (the server publishes the change
 * as it commits), so events of an object with a write in flight are held until the write answers: the one
 * carrying the written resourceVersion was ours; any other is someone else's change and is replayed.
 * Keyed `<typeId>|<ns>/<name>`.
 */
export class OwnWrites {
  /** what we wrote (resourceVersion, content hash, when), whose echo has not come yet */
  private readonly written = new Map<string, OwnWrite>();
  /** writes in flight → resourceVersions of the events seen meanwhile */
  private readonly inFlight = new Map<string, string[]>();

  constructor(
    /** called for an object whose event was held during our write and turned out not to be our echo */
    private readonly replay: (typeId: string, namespace: string, name: string) => void = () => {},
    private readonly limit = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Before a write of this object. */
  begin(typeId: string, namespace: string, name: string): void {
    this.inFlight.set(key(typeId, namespace, name), []);
  }

  /**
   * After the write answered (`resourceVersion` of what was stored), or failed (undefined); `hash` is the
   * content hash of what was written, when the writer knows it.
   */
  end(
    typeId: string,
    namespace: string,
    name: string,
    resourceVersion: string | undefined,
    hash?: string,
  ): void {
    const k = key(typeId, namespace, name);
    const seen = this.inFlight.get(k) ?? [];
    this.inFlight.delete(k);
    if (resourceVersion !== undefined && !seen.includes(resourceVersion)) {
      if (this.written.size >= this.limit) this.written.clear(); // echoes that never came
      this.written.set(k, { resourceVersion, hash, at: this.now() });
    }
    if (seen.some((rv) => rv !== resourceVersion)) this.replay(typeId, namespace, name);
  }

  /**
   * True when the event needs no re-plan: the echo of our last write (once), or an event held while our
   * write of that object is in flight (decided when it answers).
   */
  isEcho(typeId: string, namespace: string, name: string, resourceVersion: string | undefined): boolean {
    const k = key(typeId, namespace, name);
    const held = this.inFlight.get(k);
    if (held) {
      if (resourceVersion !== undefined) held.push(resourceVersion);
      return true;
    }
    const w = this.written.get(k);
    if (!w || resourceVersion === undefined) return false;
    if (w.resourceVersion !== resourceVersion) {
      // another version came first (a relist that skipped our echo, say): the cache no longer lags our write
      w.superseded = true;
      return false;
    }
    this.written.delete(k);
    return true;
  }

  /**
   * Our last write of this object when the cache cannot have it yet: written less than `withinMs` ago and its
   * echo not seen. A decision made from the cache meanwhile sees the object as it was before that write (a
   * second reconcile right after the first, say), and a replace with that resourceVersion would only be
   * refused with a Conflict. Not once an event of another version came (the cache moved past our write: a
   * relist skipped the echo, or someone changed it), and bounded in time besides.
   */
  unseen(typeId: string, namespace: string, name: string, withinMs = 5000): OwnWrite | undefined {
    const w = this.written.get(key(typeId, namespace, name));
    return w && !w.superseded && this.now() - w.at <= withinMs ? w : undefined;
  }
}

export interface OwnWrite {
  resourceVersion: string;
  /** content hash of what was written (the mirror hash), when known */
  hash: string | undefined;
  /** when the write answered, ms */
  at: number;
  /** an event of another version came after the write: the cache shows that one, not a lagging view */
  superseded?: boolean;
}

const key = (typeId: string, namespace: string, name: string) => `${typeId}|${namespace}/${name}`;
