// Worker entry of the load generator: registers tsx in this thread, then loads the TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('./http-load-clients.ts');
