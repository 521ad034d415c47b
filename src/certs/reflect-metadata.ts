/** @module certs/reflect-metadata — minimal `Reflect` metadata polyfill needed before `@peculiar/x509` loads. */

/**
 * `@peculiar/x509` depends on `tsyringe`, which refuses to load unless `Reflect.getMetadata` exists (it only ever
 * reads `design:paramtypes`, which nothing here emits). Rather than adding `reflect-metadata` as a dependency, this
 * module installs the small subset of the Reflect Metadata API that tsyringe uses. It does nothing when a polyfill is
 * already present. Import it (for its side effect) before `@peculiar/x509`.
 */

type PropertyKeyOrUndefined = string | symbol | undefined;

interface ReflectMetadataApi {
  defineMetadata(key: unknown, value: unknown, target: object, property?: string | symbol): void;
  getMetadata(key: unknown, target: object, property?: string | symbol): unknown;
  getOwnMetadata(key: unknown, target: object, property?: string | symbol): unknown;
  hasMetadata(key: unknown, target: object, property?: string | symbol): boolean;
  hasOwnMetadata(key: unknown, target: object, property?: string | symbol): boolean;
}

/** Installs the polyfill on the global `Reflect` object unless `Reflect.getMetadata` is already defined. */
export function installReflectMetadata(): void {
  const reflect = Reflect as unknown as Partial<ReflectMetadataApi>;
  if (typeof reflect.getMetadata === 'function') return;

  const store = new WeakMap<object, Map<PropertyKeyOrUndefined, Map<unknown, unknown>>>();
  const ownMap = (
    target: object,
    property: PropertyKeyOrUndefined,
    create: boolean,
  ): Map<unknown, unknown> | undefined => {
    let byProperty = store.get(target);
    if (!byProperty) {
      if (!create) return undefined;
      byProperty = new Map();
      store.set(target, byProperty);
    }
    let byKey = byProperty.get(property);
    if (!byKey && create) {
      byKey = new Map();
      byProperty.set(property, byKey);
    }
    return byKey;
  };
  const api: ReflectMetadataApi = {
    defineMetadata(key, value, target, property) {
      ownMap(target, property, true)?.set(key, value);
    },
    getOwnMetadata(key, target, property) {
      return ownMap(target, property, false)?.get(key);
    },
    hasOwnMetadata(key, target, property) {
      return ownMap(target, property, false)?.has(key) ?? false;
    },
    getMetadata(key, target, property) {
      for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t) as object | null) {
        const map = ownMap(t, property, false);
        if (map?.has(key)) return map.get(key);
      }
      return undefined;
    },
    hasMetadata(key, target, property) {
      for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t) as object | null) {
        if (ownMap(t, property, false)?.has(key)) return true;
      }
      return false;
    },
  };
  Object.assign(Reflect, api);
}

installReflectMetadata();
