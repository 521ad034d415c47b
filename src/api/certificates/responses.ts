/** @module Response schemas of /v1/certificates for the OpenAPI document (never serialized with). */
import { jsonResponse, linkList, uuidBody, type ResponsesDoc } from '../schemas.ts';

const caProperties = {
  cluster_uuid: { type: 'string' },
  bay_uuid: { type: 'string', description: 'the cluster uuid (legacy name)' },
  pem: { type: 'string', description: 'PEM certificate' },
  links: linkList,
} as const;

export const CERTIFICATE_RESPONSES = {
  show: {
    200: jsonResponse("The cluster's CA certificate.", {
      type: 'object',
      additionalProperties: false,
      required: Object.keys(caProperties),
      properties: caProperties,
    }),
  },
  sign: {
    201: jsonResponse("The CSR signed by the cluster's CA.", {
      type: 'object',
      additionalProperties: false,
      required: [...Object.keys(caProperties), 'csr'],
      properties: { ...caProperties, csr: { type: 'string' }, ca_cert_type: { type: 'string' } },
    }),
  },
  rotate: { 202: jsonResponse('CA rotation accepted: every node gets a certificate of the new CA.', uuidBody) },
} satisfies Record<string, ResponsesDoc>;
