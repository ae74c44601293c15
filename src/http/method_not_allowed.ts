/**
 * 405 for a known path asked with a method it does not serve (RFC 9110
 * §15.5.6), with the `Allow` header; 404 stays for paths nothing serves.
 *
 * @module
 */

/** A route as `app.routes` lists it. */
export interface RouteEntry {
  method: string;
  path: string;
}

/** Hono's path pattern as a regular expression (`:id` one segment, `*` any). */
function patternOf(path: string): RegExp {
  const source = path.split(/(:\w+|\*)/).map((part) =>
    part === "*"
      ? ".*"
      : part.startsWith(":")
      ? "[^/]+"
      : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
  ).join("");
  return new RegExp(`^${source}/?$`);
}

/**
 * The methods the app serves on `path` (middleware for every method left
 * out), with HEAD wherever GET is served; empty when nothing serves it.
 */
export function allowedMethods(
  routes: readonly RouteEntry[],
  path: string,
): string[] {
  const methods = new Set<string>();
  for (const route of routes) {
    if (route.method === "ALL") continue;
    if (patternOf(route.path).test(path)) methods.add(route.method);
  }
  if (methods.has("GET")) methods.add("HEAD");
  return [...methods].sort();
}
