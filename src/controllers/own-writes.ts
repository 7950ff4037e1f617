/**
 * The resourceVersions of the mirrors this controller just wrote, so that the watch echo of our own write is
 * recognised and costs neither a hash nor a re-plan. Keyed `<typeId>|<ns>/<name>`; an echo is consumed once.
 */
export class OwnWrites {
  private readonly written = new Map<string, string>();

  constructor(private readonly limit = 100_000) {}

  remember(typeId: string, namespace: string, name: string, resourceVersion: string | undefined): void {
    if (!resourceVersion) return;
    if (this.written.size >= this.limit) this.written.clear(); // echoes that never came
    this.written.set(`${typeId}|${namespace}/${name}`, resourceVersion);
  }

  /** True (once) when this is the echo of our last write of that object. */
  isEcho(typeId: string, namespace: string, name: string, resourceVersion: string | undefined): boolean {
    const key = `${typeId}|${namespace}/${name}`;
    if (resourceVersion === undefined || this.written.get(key) !== resourceVersion) return false;
    this.written.delete(key);
    return true;
  }
}
