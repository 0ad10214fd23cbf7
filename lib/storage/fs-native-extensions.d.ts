// The part of fs-native-extensions (a CommonJS package without types) that kvd uses.
declare module 'fs-native-extensions' {
  /** Takes an exclusive (or, with shared, a shared) lock on the open file without waiting: false when another holds it. */
  function tryLock(fd: number, opts?: { shared?: boolean }): boolean;
  const fsExt: { tryLock: typeof tryLock };
  export default fsExt;
}
