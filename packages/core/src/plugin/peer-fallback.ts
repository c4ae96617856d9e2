import Module, { createRequire } from 'node:module';
import { join } from 'node:path';

const CORE = '@aya-fw/core';
let installed = false;

/**
 * Lets a plugin that declares `@aya-fw/core` as a peer dependency find the host's copy even
 * when it lies outside the host's `node_modules` tree: `npm install ../my-plugin` links the
 * folder, and Node resolves the plugin's `require('@aya-fw/core')` from the folder's real path,
 * where no core is installed. Only a request for `@aya-fw/core` (or one of its subpaths) that
 * Node could not resolve is redirected, to the core that is running; every other request, and
 * a plugin that has its own core, resolve as usual.
 */
export function installCorePeerFallback(): void {
  if (installed) return;
  installed = true;
  const host = createRequire(join(__dirname, '..', '..', 'package.json'));
  const internals = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const original = internals._resolveFilename;
  internals._resolveFilename = function resolveWithCorePeer(request: string, ...rest: unknown[]): string {
    try {
      return original.call(this, request, ...rest);
    } catch (err) {
      if ((request === CORE || request.startsWith(`${CORE}/`)) && (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return host.resolve(request);
      throw err;
    }
  };
}
