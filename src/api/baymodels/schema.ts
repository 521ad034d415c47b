/**
 * @module The body of Magnum's legacy BayModel: a cluster template's attributes, but `keypair_id` is mandatory (checked
 * after `image_id`; a missing `coe` is the template's "Requested COE type Unset is not supported.", as in Magnum 15),
 * `dns_nameserver` is one IPv4 address, label values are strings, and `project_id`/`user_id` are no attributes of it.
 */
import { templateBodySchema } from '../cluster-templates/schema.ts';
import { MAX_LABEL_VALUE } from '../../core/limits.ts';
import { MAGNUM_ERRORS } from '../validation.ts';

const { project_id: _project, user_id: _user, ...properties } = templateBodySchema.properties;
const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';

export const baymodelBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['image_id', 'keypair_id'],
  properties: {
    ...properties,
    dns_nameserver: {
      type: 'string',
      pattern: `^${OCTET}(\\.${OCTET}){3}$`,
      [MAGNUM_ERRORS]: {
        pattern: "Invalid input for field/attribute dns_nameserver. Value: '{value}'. Value should be IPv4 format",
      },
    },
    labels: { ...properties.labels, additionalProperties: { type: 'string', maxLength: MAX_LABEL_VALUE } },
  },
} as const;
