/** @module Response schemas of the legacy /v1/baymodels for the OpenAPI document (never serialized with). */
import { templateSchema } from '../cluster-templates/responses.ts';
import { jsonResponse, nextLinkProperty, noContent, type ResponsesDoc } from '../schemas.ts';

const { project_id: _project, user_id: _user, ...properties } = templateSchema.properties;

/** A baymodel as every route shows it (baymodelView). */
export const baymodelSchema = {
  type: 'object',
  additionalProperties: false,
  required: templateSchema.required.filter((k) => k !== 'project_id' && k !== 'user_id'),
  properties,
} as const;

const baymodelList = {
  type: 'object',
  additionalProperties: false,
  required: ['baymodels'],
  properties: { baymodels: { type: 'array', items: baymodelSchema }, next: nextLinkProperty },
} as const;

export const BAYMODEL_RESPONSES = {
  create: {
    201: jsonResponse('The created baymodel (a cluster template).', baymodelSchema, {
      Location: { type: 'string', description: 'URL of the new baymodel' },
    }),
  },
  list: { 200: jsonResponse('A page of baymodels visible to the caller.', baymodelList) },
  show: { 200: jsonResponse('The baymodel.', baymodelSchema) },
  update: { 200: jsonResponse('The baymodel after the patch.', baymodelSchema) },
  delete: { 204: noContent('Deleted.') },
} satisfies Record<string, ResponsesDoc>;
