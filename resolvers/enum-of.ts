/**
 * The object `registerEnumType` wants (`{ A: 'A', … }`) from a list of string values kept elsewhere
 * (a flow's status list, an upstream's codes), typed by that list: the GraphQL enum and the domain
 * list cannot drift apart.
 */
export function enumOf<const T extends string>(values: readonly T[]): { [K in T]: K } {
  return Object.fromEntries(values.map((v) => [v, v])) as { [K in T]: K };
}
