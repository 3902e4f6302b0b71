/** Where amaas's own files live, whether running from dist/ (compiled) or installed as a package. */
import path from 'node:path';

/** The package root: dist/src/paths.js -> ../.. */
export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');

export const PROTO_ROOT = path.join(PACKAGE_ROOT, 'proto');

/** The Piscina worker entry; compiled alongside src/ into dist/workers/. */
export const SESSION_WORKER_PATH = path.join(PACKAGE_ROOT, 'dist', 'workers', 'session-worker.js');

export const EXAMPLE_REPOSITORY = path.join(PACKAGE_ROOT, 'examples', 'models');
