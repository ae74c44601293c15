/**
 * A KV whose atomic commits fail on demand, for the state tests' fault
 * paths (a disk full, a store locked by another process).
 *
 * @module
 */

/**
 * `kv` whose atomic commits reject with what `failure` returns for them
 * (commits counted from 1); `undefined` lets a commit through.
 */
export function withFailingCommits(
  kv: Deno.Kv,
  failure: (commit: number) => Error | undefined,
): Deno.Kv {
  let commits = 0;
  return new Proxy(kv, {
    get(target, property) {
      if (property === "atomic") {
        return () => {
          const op = target.atomic();
          const commit = op.commit.bind(op);
          op.commit = () => {
            const error = failure(++commits);
            return error ? Promise.reject(error) : commit();
          };
          return op;
        };
      }
      const value = Reflect.get(target, property);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
