import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCliCaptured, useTempDir } from '../support/cli.ts';

const EXAMPLE = fileURLToPath(new URL('../../leadrelay.example.yml', import.meta.url));
const SAMPLES = fileURLToPath(new URL('../../examples/sources/', import.meta.url));
const temp = useTempDir('leadrelay-map-');

describe('leadrelay map <source id> <payload.json>', () => {
  it('prints the lead a documented sample becomes, with its warnings, and exits 0', async () => {
    const result = await runCliCaptured(['map', 'hubspot-contacts', `${SAMPLES}hubspot-contact.json`, '--config', EXAMPLE]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const [head, ...rest] = result.stdout.split('\n');
    expect(head).toBe(`${SAMPLES}hubspot-contact.json through source hubspot-contacts (hubspot) becomes this lead (nothing is stored or sent):`);
    const json = rest.slice(0, rest.indexOf('Warnings:')).join('\n');
    expect(JSON.parse(json)).toMatchObject({ external_id: 'hubspot-contacts:3234574:1484026585538', email: 'codey@hubspot.com', name: 'Codey Huang', company: { employees: 1200 } });
    expect(result.stdout).toContain('Warnings:\n  company.employees: "1200" read as the number 1200\n');
  });

  it('uses the source\'s map and defaults ($LEADRELAY_CONFIG when --config is not given)', async () => {
    const result = await runCliCaptured(['map', 'demo-booking', `${SAMPLES}calendly-invitee-created.json`], { LEADRELAY_CONFIG: EXAMPLE });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('"team": "senior"');
    expect(result.stdout).toContain('"name": "Acme Inc."');
  });

  it('prints every problem with the lead path and the expression, and exits 1', async () => {
    const payload = temp.file('zap.json', JSON.stringify({ name: 'No Email', title: ['a', 1, {}], message: 'x'.repeat(10_001) }));
    const result = await runCliCaptured(['map', 'zapier', payload, '--config', EXAMPLE]);
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `${payload} makes no lead through source zapier (generic):\n  title: expected string, got array\n    expression: title\n  message: at most 10000 characters\n    expression: message\n`,
    });
  });

  it('says when the payload is not a lead for the source (a cancellation), and exits 1', async () => {
    const payload = temp.file('cancel.json', JSON.stringify({ event: 'invitee.canceled', payload: {} }));
    expect(await runCliCaptured(['map', 'demo-booking', payload, '--config', EXAMPLE])).toEqual({
      code: 1,
      stdout: '',
      stderr: `${payload} is not a lead for source demo-booking (calendly): only invitee.created events are leads\n`,
    });
  });

  it('names an unknown source, a missing file and invalid JSON', async () => {
    expect((await runCliCaptured(['map', 'nope', 'x.json', '--config', EXAMPLE])).stderr).toBe(`unknown source "nope" in ${EXAMPLE} (sources: demo-form, hubspot-contacts, demo-booking, zapier)\n`);
    expect((await runCliCaptured(['map', 'zapier', 'missing.json', '--config', EXAMPLE])).stderr).toBe('payload file not found: missing.json\n');
    const bad = temp.file('bad.json', '{"email":');
    expect((await runCliCaptured(['map', 'zapier', bad, '--config', EXAMPLE])).stderr).toMatch(/^.*bad\.json: invalid JSON: /);
  });

  it('needs both arguments', async () => {
    const result = await runCliCaptured(['map', 'zapier']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Usage: leadrelay map <source id> <payload.json> [--config file]');
  });
});
