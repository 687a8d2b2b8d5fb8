/** A mistake of the user's (bad flag, missing file, unknown type): printed without a stack, exit code 2. */
export class UsageError extends Error {}
