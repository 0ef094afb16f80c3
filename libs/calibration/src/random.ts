// The seeded PRNG lives in core, shared by every plugin library.
export { mulberry32, randomInt } from '@glassbox/core';
