/** @module The Docker Engine API objects, shared with the drivers' node engine clients (`src/docker-api/`). */
export type * from '../../docker-api/engine-types.ts';
