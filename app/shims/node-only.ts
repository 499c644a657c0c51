/**
 * Stand-in for Node-only packages that fengari requires inside `if (typeof process !== 'undefined')`
 * branches (readline-sync for debug.debug(), tmp for os.tmpname()). Those branches never run in
 * the browser or the worker; aliasing keeps ~22 KB of dead code out of the bundle.
 */
const unavailable = (): never => {
  throw new Error('not available in the browser');
};
export default { setDefaultOptions: unavailable, prompt: unavailable, tmpNameSync: unavailable };
export const setDefaultOptions = unavailable;
export const prompt = unavailable;
export const tmpNameSync = unavailable;
