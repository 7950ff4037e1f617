/** About 1 MiB of JSON per list page. */
export const PAGE_TARGET_LENGTH = 1024 * 1024;

/** The first page of a type whose objects' size is not known yet. */
export const FIRST_PAGE_LIMIT = 100;

/**
 * Sizes list pages by their weight as well as by count. A `limit` of 500 is ~0.5 MB of ConfigMaps of 1 KiB but
 * 32 MB of 64 KiB CA bundles, and a page is held three times while it is read (the text, the parsed objects,
 * what is kept of them): the transient memory of a list, and with it the heap the process keeps afterwards,
 * would grow with the payload. The next page asks for as many objects as fit in `targetLength` at the average
 * size of the last page, never more than the caller's limit and at least one; before any page, at most
 * `firstLimit`. The API server accepts a different limit with each continue token.
 */
export class PageSizer {
  private perItem: number | undefined;

  constructor(
    private readonly targetLength = PAGE_TARGET_LENGTH,
    private readonly firstLimit = FIRST_PAGE_LIMIT,
  ) {}

  /** The limit to send for a page the caller wants at most `requested` objects in. */
  limit(requested: number): number {
    if (this.perItem === undefined) return Math.min(requested, this.firstLimit);
    return Math.max(1, Math.min(requested, Math.floor(this.targetLength / this.perItem)));
  }

  /** Records a page received: `items` objects in a body of `length` characters. */
  observe(items: number, length: number): void {
    if (items > 0) this.perItem = length / items;
  }
}
