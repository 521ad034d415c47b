/**
 * @module Magnum's legacy `/v1/baymodels`: the cluster template routes (api/cluster-templates/routes.ts) over the same
 * store and checks, under the old name, with BayModel's body, view and `baymodel:*` policies. As in Magnum 15, an
 * admin is not widened to every project here, and only `public` needs the publish policy (`hidden` does not).
 */
import { CLUSTER_TEMPLATES, type TemplateResource } from '../cluster-templates/routes.ts';
import { BAYMODEL_RESPONSES } from './responses.ts';
import { baymodelBodySchema } from './schema.ts';
import { baymodelView } from './view.ts';

export const BAYMODELS: TemplateResource = {
  path: '/v1/baymodels',
  key: 'baymodels',
  bodyArg: 'baymodel',
  action: 'baymodel',
  adminAllProjects: false,
  schema: baymodelBodySchema,
  // BayModel's mandatory attributes (coe, image_id, keypair_id) and its extra non-removable ones.
  mandatory: [...CLUSTER_TEMPLATES.mandatory, '/keypair_id'],
  nameKind: 'model',
  publishOnCreate: (t) => t.public,
  publishOnUpdate: (before, after) => after.public !== before.public,
  view: baymodelView,
  responses: BAYMODEL_RESPONSES,
};
