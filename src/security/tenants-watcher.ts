/**
 * Keeps the tenants file's policy current without a restart. Two sources of change, because neither is
 * enough alone: fs.watch on the file's folder (prompt, and it sees editors and `mv` replacing the file by
 * rename, which a watch on the file itself would lose), and a stat poll (every POLL_INTERVAL_MS) for file
 * systems where fs.watch says nothing (network mounts, some containers, Kubernetes ConfigMap symlink swaps).
 * The poll compares the file's stat with the one taken when it was last read, not with the previous poll as
 * fs.watchFile does: fs.watchFile's first stat is taken asynchronously after it starts, so an edit made in
 * that moment became its baseline and was never reported. Either source schedules a reload a little later
 * (DEBOUNCE_MS, so a write in several steps is read once it is done).
 *
 * A reload reads and validates the whole file and swaps the policy in one assignment; calls see the old
 * policy or the new one, never a mix. A broken edit is logged (file, key path, never a value from the file)
 * and the previous policy stays in force: the server never fails open. The first load is not forgiving: a
 * broken file at startup throws.
 */
import fs from 'node:fs';
import path from 'node:path';
import { toAmaasError } from '../errors';
import { createLogger } from '../observability/logging';
import { loadTenantsFile } from './tenants-file';
import { TenantPolicy } from './types';
import { fileSignature } from './file-signature';

const log = createLogger('security');

/** How often the fallback poll stats the file; with the debounce, a revoked key stops working within ~1.1 s. */
export const POLL_INTERVAL_MS = 1000;
/** Delay between a change being seen and the file being read. */
export const DEBOUNCE_MS = 50;

export interface TenantsWatcherOptions {
  /** Called after each successful reload with the new policy. */
  readonly onReload?: (policy: TenantPolicy) => void;
  /** Called when a reload fails (the old policy stays); the failure is logged as a warning either way. */
  readonly onError?: (err: Error) => void;
  /** How often the file is stat'ed (tests may shorten it). */
  readonly pollIntervalMs?: number;
}

export class TenantsWatcher {
  private policy: TenantPolicy;
  private reloadCount = 0;
  private failureCount = 0;
  private dirWatcher: fs.FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private pollTimer: NodeJS.Timeout | null = null;
  /** The stat of the file when it was last read (successfully or not); '' when it could not be stat'ed. */
  private lastRead = '';
  private readonly options: TenantsWatcherOptions;

  private constructor(
    readonly file: string,
    initial: TenantPolicy,
    options: TenantsWatcherOptions,
  ) {
    this.policy = initial;
    this.options = options;
  }

  /**
   * Loads `file` (throws AMAAS_ERR_CONFIG_INVALID when it is missing or invalid) and starts watching it.
   * The second argument is the options, or just an onError callback.
   */
  static start(file: string, options: TenantsWatcherOptions | ((err: Error) => void) = {}): TenantsWatcher {
    const opts = typeof options === 'function' ? { onError: options } : options;
    const seen = fileSignature(file);
    const w = new TenantsWatcher(file, loadTenantsFile(file), opts);
    w.lastRead = seen;
    w.watch();
    return w;
  }

  /** The policy in force now. Read it once per call: a reload may swap it between two reads. */
  current(): TenantPolicy {
    return this.policy;
  }

  /** Successful reloads since start. */
  get reloads(): number {
    return this.reloadCount;
  }

  /** Failed reloads since start (each left the previous policy in force). */
  get failures(): number {
    return this.failureCount;
  }

  /** Reads the file now (what a change triggers); returns whether the new policy is in force. */
  reload(): boolean {
    if (this.closed) return false;
    // Taken before reading: if the file changes in between, the next poll sees a difference and reads again.
    this.lastRead = fileSignature(this.file);
    try {
      this.policy = loadTenantsFile(this.file);
      this.reloadCount++;
      log.info('tenants file reloaded', { file: this.file, tenants: this.policy.tenants.size });
      this.options.onReload?.(this.policy);
      return true;
    } catch (err) {
      this.failureCount++;
      // loadTenantsFile's messages name the file and the key path, never a value from the file.
      const e = toAmaasError(err);
      log.warn('tenants file not reloaded; the previous one stays in force', { file: this.file, code: e.code, message: e.message });
      this.options.onError?.(e);
      return false;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.dirWatcher?.close();
    this.dirWatcher = null;
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
  }

  private watch(): void {
    const dir = path.dirname(this.file);
    const base = path.basename(this.file);
    try {
      this.dirWatcher = fs.watch(dir, { persistent: false }, (_event, name) => {
        // Some platforms give no name; then any change in the folder may be ours.
        if (name === null || name === undefined || name.toString() === base || name.toString().startsWith('..')) this.schedule();
      });
      this.dirWatcher.on('error', (err) => {
        log.warn('cannot watch the tenants file folder; polling only', { file: this.file, message: err.message });
        this.dirWatcher?.close();
        this.dirWatcher = null;
      });
    } catch (err) {
      log.warn('cannot watch the tenants file folder; polling only', { file: this.file, message: (err as Error).message });
    }
    this.pollTimer = setInterval(() => {
      if (fileSignature(this.file) !== this.lastRead) this.schedule();
    }, this.options.pollIntervalMs ?? POLL_INTERVAL_MS);
    this.pollTimer.unref();
  }

  private schedule(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.reload();
    }, DEBOUNCE_MS);
    this.timer.unref();
  }
}
