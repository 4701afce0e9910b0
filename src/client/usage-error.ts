/**
 * A mistake in how tm was called (unknown command or option, missing or malformed argument, no
 * config): exit status 2. It never reaches the daemon, so it has no wire code.
 */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly hint: string | null;

  constructor(message: string, hint: string | null = null) {
    super(message);
    this.hint = hint;
  }
}
