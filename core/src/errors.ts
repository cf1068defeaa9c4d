/**
 * An error whose message is meant for the user as it stands: the CLI prints it without a
 * stack trace and exits non-zero. Everything else is a bug and keeps its stack.
 */
export class UserError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(message);
    this.name = 'UserError';
  }
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}
