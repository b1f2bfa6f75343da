/**
 * "Maybe async" values: the per-row hot path stays synchronous and only rows that need JSONata's
 * async evaluator pay for a Promise.
 */
export type Maybe<A> = A | Promise<A>

export const isPromise = (u: unknown): u is Promise<unknown> => u instanceof Promise

export const map = <A, B>(m: Maybe<A>, f: (a: A) => B | Promise<B>): Maybe<B> => (isPromise(m) ? m.then(f) : f(m))

/** Like `Promise.all`, but synchronous when nothing is a Promise. */
export const all = <A>(items: ReadonlyArray<Maybe<A>>): Maybe<Array<A>> => {
  for (let i = 0; i < items.length; i++) if (isPromise(items[i])) return Promise.all(items)
  return items as Array<A>
}
