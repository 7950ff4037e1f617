/**
 * The mirrors this controller is writing or just wrote, so that the watch echo of our own write is recognised
 * and costs no re-plan. The echo can arrive before the write's own response (the server publishes the change
 * as it commits), so events of an object with a write in flight are held until the write answers: the one
 * carrying the written resourceVersion was ours; any other is someone else's change and is replayed.
 * Keyed `<typeId>|<ns>/<name>`.
 */
export class OwnWrites {
  /** resourceVersion we wrote, whose echo has not come yet */
  private readonly written = new Map<string, string>();
  /** writes in flight → resourceVersions of the events seen meanwhile */
  private readonly inFlight = new Map<string, string[]>();

  constructor(
    /** called for an object whose event was held during our write and turned out not to be our echo */
    private readonly replay: (typeId: string, namespace: string, name: string) => void = () => {},
    private readonly limit = 100_000,
  ) {}

  /** Before a write of this object. */
  begin(typeId: string, namespace: string, name: string): void {
    this.inFlight.set(key(typeId, namespace, name), []);
  }

  /** After the write answered (`resourceVersion` of what was stored), or failed (undefined). */
  end(typeId: string, namespace: string, name: string, resourceVersion: string | undefined): void {
    const k = key(typeId, namespace, name);
    const seen = this.inFlight.get(k) ?? [];
    this.inFlight.delete(k);
    if (resourceVersion !== undefined && !seen.includes(resourceVersion)) {
      if (this.written.size >= this.limit) this.written.clear(); // echoes that never came
      this.written.set(k, resourceVersion);
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
    if (resourceVersion === undefined || this.written.get(k) !== resourceVersion) return false;
    this.written.delete(k);
    return true;
  }
}

const key = (typeId: string, namespace: string, name: string) => `${typeId}|${namespace}/${name}`;
