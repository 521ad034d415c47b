/** @module Driver registry keyed by (server_type, os, coe), filled once at start-up by the composition root. */
import { clusterTypeNotSupported } from '../core/errors.ts';
import type { Driver, DriverKey } from './contract.ts';

const keyOf = (k: DriverKey): string => `${k.serverType}\u0000${k.os}\u0000${k.coe}`;

export class DriverRegistry {
  readonly #byKey = new Map<string, Driver>();
  readonly #byName = new Map<string, Driver>();

  /** Registers a driver unless its name is disabled; a later driver with the same key wins, as in Magnum. */
  register(driver: Driver, disabled: readonly string[] = []): void {
    if (disabled.includes(driver.name)) return;
    this.#byName.set(driver.name, driver);
    for (const k of driver.provides) this.#byKey.set(keyOf(k), driver);
  }

  find(serverType: string, os: string | null, coe: string): Driver | undefined {
    return os === null ? undefined : this.#byKey.get(keyOf({ serverType, os, coe }));
  }

  /** The driver for the triple, or Magnum's ClusterTypeNotSupported (400). */
  get(serverType: string, os: string | null, coe: string): Driver {
    const d = this.find(serverType, os, coe);
    if (!d) throw clusterTypeNotSupported(serverType, os, coe);
    return d;
  }

  byName(name: string): Driver | undefined {
    return this.#byName.get(name);
  }

  all(): Driver[] {
    return [...this.#byName.values()];
  }
}
