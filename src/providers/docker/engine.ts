/** @module The local provider's client of the host engine is the shared Docker Engine API client (`src/docker-api/`). */
export * from '../../docker-api/engine.ts';
