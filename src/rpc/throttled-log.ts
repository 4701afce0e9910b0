/**
 * A warning that can come thousands of times a second (a client refused, accept() failing)
 * without making the daemon log grow as fast: the first is written at once, the next ones of
 * the same interval are counted by kind and said in one line when it ends. An interval with
 * none ends the throttle, so the next one is again written at once.
 */
export class ThrottledLog {
  private readonly counts = new Map<string, number>();
  private readonly peers = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly warn: (line: string) => void,
    private readonly intervalMs: number,
    /** The line for `n` more of them: `refused 512 more clients`. */
    private readonly more: (n: number) => string,
  ) {}

  /** `line` in full if it is the first of its interval; else counted under `kind`. */
  say(line: string, kind: string, peer?: string): void {
    if (this.timer === null) {
      this.warn(line);
      this.arm();
      return;
    }
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    // a few addresses say where a flood comes from; a thousand would be another flood
    if (peer !== undefined && this.peers.size < 3) this.peers.add(peer);
  }

  /** Writes what is counted now (at shutdown), and ends the throttle. */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.writeCounts();
  }

  private arm(): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      // counted ones are followed by another interval: the flood may go on
      if (this.writeCounts()) this.arm();
    }, this.intervalMs);
    this.timer.unref();
  }

  private writeCounts(): boolean {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    if (n === 0) return false;
    const kinds = [...this.counts].map(([kind, c]) => `${c} ${kind}`).join(', ');
    const from = this.peers.size === 0 ? '' : ` from ${[...this.peers].join(', ')}`;
    this.warn(`${this.more(n)} in the last ${this.intervalMs / 1000} s${from}: ${kinds}`);
    this.counts.clear();
    this.peers.clear();
    return true;
  }
}
