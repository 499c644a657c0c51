// Worker threads do not inherit the parent's `--import tsx` hooks: register them here, then load
// the TypeScript worker (room-pool.ts starts this file).
import { register } from 'tsx/esm/api';
register();
await import('./room-worker.ts');
