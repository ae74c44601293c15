/**
 * Where the CLI and the service keep state when not told: one SQLite file
 * per environment, since a member's status at a test environment says
 * nothing about production.
 *
 * @module
 */

/** `.medlemsbro/ENV.sqlite`, relative to the working folder. */
export function defaultStatePath(env: string): string {
  return `.medlemsbro/${env}.sqlite`;
}
