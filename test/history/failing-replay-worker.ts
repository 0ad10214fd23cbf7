// A replay worker module that fails as the worker thread imports it: what
// History sees when its replay thread dies.

throw new Error('this replay worker fails on purpose');
