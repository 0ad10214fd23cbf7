// Storage's record union and transport's message union are written without
// wrapping each value in avsc's { Name: record } object: the encoder writes the
// branch's tag byte itself and encodes the record with the branch's own type.
// The bytes are exactly the union's encoding, so the union type decodes them.
// (Types only from avsc: lib/raft loads this module and no package with it.)

import type avro from 'avsc';

/** A union value's first byte is its branch index as a zigzag varint: one byte for the first 64 branches. */
const ONE_BYTE_BRANCHES = 64;

/** One branch of a union: the type that encodes its values and the byte that precedes them. */
export interface UnionBranch {
  readonly type: avro.Type;
  readonly tag: number;
}

/** The byte that starts a union value of branch i. */
export function unionTag(i: number): number {
  if (!(Number.isInteger(i) && i >= 0 && i < ONE_BYTE_BRANCHES))
    throw new RangeError(`union branch ${i} has no one-byte tag (branches 0 to ${ONE_BYTE_BRANCHES - 1} do)`);
  return i << 1;
}

/** The branch index a union value's first byte names, or -1 when it is no one-byte tag. */
export function unionBranchOf(tag: number): number {
  return tag < 2 * ONE_BYTE_BRANCHES && (tag & 1) === 0 ? tag >> 1 : -1;
}

/** The branches of a union compiled with wrapUnions, in branch order, each with its tag byte. */
export function unionBranches(union: avro.Type): readonly UnionBranch[] {
  if (union.typeName !== 'union:wrapped') throw new TypeError(`a ${union.typeName} type, not a wrapped union`);
  return (union as avro.types.WrappedUnionType).types.map((type, i) => ({ type, tag: unionTag(i) }));
}
