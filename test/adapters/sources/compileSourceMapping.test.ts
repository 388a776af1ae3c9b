import { describe, expect, it } from 'vitest';
import { compileSourceMapping } from '../../../src/adapters/sources/compileSourceMapping.ts';
import { sample, sourceConfig } from '../../support/sourceSamples.ts';

const mapping = (yaml: string) => compileSourceMapping(sourceConfig(yaml));

describe('the typeform preset, on Typeform\'s example form_response', () => {
  it('takes the email answer, every answer and hidden field by ref into fields, and the token as the external id', async () => {
    const result = await mapping('{ id: survey, preset: typeform, secret_env: S }').toLead(sample('typeform'));
    expect(result).toEqual({
      kind: 'lead',
      warnings: [],
      lead: {
        external_id: 'survey:a3a12ec67a1365927098a606107fac15',
        source: 'form',
        email: 'laura@example.com',
        company: {},
        fields: {
          user_id: 'abc123456',
          readable_ref_long_text: "It's cold right now! I live in an older medium-sized city with a university. Geographically, the area is hilly.",
          readable_ref_email: 'laura@example.com',
          readable_ref_short_text: 'Laura',
          readable_ref_date: '2005-10-15',
          readable_ref_picture_choice: 'London, Sydney',
          readable_ref_number1: 5,
          readable_ref_legal: true,
          readable_ref_multiple_choice: 'London',
          readable_ref_yes_no: false,
          readable_ref_opinion_scale: 2,
          readable_ref_rating: 3,
          readable_ref_number2: 4,
          readable_ref_calendly: 'https://calendly.com/scheduled_events/EVENT_TYPE/invitees/INVITEE',
        },
      },
    });
  });

  it('maps questions whose ref names a lead field, in payloads that carry the ref on each answer too', async () => {
    const payload = sample('typeform');
    const byId: Record<string, string> = { JwWggjAKtOkA: 'full_name', k6TP9oLGgHjl: 'employees', DlXFaesGBpoF: 'message' };
    for (const field of payload.form_response.definition.fields) if (byId[field.id]) field.ref = byId[field.id];
    for (const answer of payload.form_response.answers) answer.field.ref = byId[answer.field.id] ?? payload.form_response.definition.fields.find((f: { id: string }) => f.id === answer.field.id).ref;
    payload.form_response.answers[7].choice = { label: '1,000+' };
    const result = await mapping('{ id: survey, preset: typeform, secret_env: S }').toLead(payload);
    expect(result).toMatchObject({
      kind: 'lead',
      lead: { name: 'Laura', message: expect.stringContaining("It's cold"), company: { employees: 1000 }, fields: { full_name: 'Laura', employees: '1,000+' } },
      warnings: [{ path: 'company.employees', message: '"1,000+" read as 1000 (the lower end of the range)' }],
    });
  });

  it('leaves out questions that still have Typeform\'s generated ref, quietly', async () => {
    const payload = sample('typeform');
    payload.form_response.definition.fields[2].ref = '9a489f17-8765-494b-933e-3624c645bd0c';
    payload.form_response.definition.fields[3].ref = '01GRC8GR2017M6WW347T86VV39';
    const result = await mapping('{ id: survey, preset: typeform, secret_env: S }').toLead(payload);
    expect(result.kind === 'lead' && Object.keys(result.lead.fields)).not.toContain('9a489f17-8765-494b-933e-3624c645bd0c');
    expect(result).toMatchObject({ kind: 'lead', warnings: [] });
    expect(result.kind === 'lead' && result.lead.fields).not.toHaveProperty('readable_ref_short_text');
  });

  it('lets map override a preset path and add others; $answer is the answers by ref', async () => {
    const result = await mapping(`{ id: survey, preset: typeform, secret_env: S, map: { name: "$answer.readable_ref_short_text", score: "$answer.readable_ref_number1 * 20", fields.city: "$answer.readable_ref_multiple_choice" } }`).toLead(sample('typeform'));
    expect(result).toMatchObject({ kind: 'lead', lead: { name: 'Laura', score: 100, fields: { city: 'London', readable_ref_number1: 5 } } });
  });

  it('ignores a partial response: only form_response events are leads', async () => {
    const payload = { ...sample('typeform'), event_type: 'form_response_partial' };
    expect(await mapping('{ id: survey, preset: typeform, secret_env: S }').toLead(payload)).toEqual({ kind: 'ignored', reason: 'only form_response events are leads' });
  });
});

describe('the hubspot preset, on a workflow webhook\'s contact record', () => {
  it('reads properties.*.value: email, name, title, phone, company, website, numemployees, industry, country', async () => {
    const result = await mapping('{ id: crm, preset: hubspot, secret_env: S }').toLead(sample('hubspot'));
    expect(result).toEqual({
      kind: 'lead',
      lead: {
        external_id: 'crm:3234574:1484026585538',
        source: 'form',
        email: 'codey@hubspot.com',
        name: 'Codey Huang',
        title: 'Head of Sales Operations',
        phone: '555-122-2323',
        company: { name: 'HubSpot', domain: 'http://hubspot.com', employees: 1200, industry: 'Computer Software', country: 'United States' },
        crm_url: 'https://app.hubspot.com/contacts/62515/contact/3234574',
        fields: { lifecyclestage: 'lead' },
      },
      warnings: [{ path: 'company.employees', message: '"1200" read as the number 1200' }],
    });
  });

  it('keys the external id on the contact and its latest form submission, else its last change', async () => {
    const resubmitted = sample('hubspot');
    resubmitted['form-submissions'].push({ timestamp: 1500000000000 });
    const noForms = { ...sample('hubspot'), 'form-submissions': [] };
    const crm = mapping('{ id: crm, preset: hubspot, secret_env: S }');
    expect(await crm.toLead(resubmitted)).toMatchObject({ lead: { external_id: 'crm:3234574:1500000000000' } });
    expect(await crm.toLead(noForms)).toMatchObject({ lead: { external_id: 'crm:3234574:1484026629447' } });
  });
});

describe('the calendly preset, on the documented invitee.created payload', () => {
  it('takes the invitee, the booking as the message, questions and UTM tracking into fields, the invitee URI as the external id', async () => {
    const result = await mapping('{ id: booking, preset: calendly, secret_env: S, defaults: { team: sdr } }').toLead(sample('calendly'));
    expect(result).toEqual({
      kind: 'lead',
      warnings: [],
      lead: {
        external_id: 'booking:https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2/invitees/AAAAAAAAAAAAAAAA',
        source: 'form',
        email: 'test@example.com',
        name: 'John Doe',
        phone: '+1 404-555-1234',
        team: 'sdr',
        message: 'Booked 15 Minute Meeting for 2020-11-24T19:00:00.000000Z',
        company: {},
        fields: {
          company_name: 'Acme Inc.',
          company_size: '51-200',
          what_would_you_like_to_discuss: 'We want to route inbound demo requests in Slack.',
          utm_campaign: 'spring-demo',
          utm_source: 'google',
          utm_medium: 'cpc',
          event_name: '15 Minute Meeting',
        },
      },
    });
  });

  it('ignores a cancellation', async () => {
    expect(await mapping('{ id: booking, preset: calendly, secret_env: S }').toLead({ ...sample('calendly'), event: 'invitee.canceled' })).toEqual({ kind: 'ignored', reason: 'only invitee.created events are leads' });
  });
});

describe('a generic source', () => {
  const zap = () => mapping(`{ id: zap, preset: generic, map: { email: contact.email, name: contact.name, company.employees: size, score: score, external_id: id } }`);

  it('is what its map says, the external id prefixed with the source id', async () => {
    expect(await zap().toLead({ contact: { email: 'a@beta.io', name: 'Ann' }, size: '1,200', score: 91, id: 17 })).toEqual({
      kind: 'lead',
      lead: { external_id: 'zap:17', source: 'form', email: 'a@beta.io', name: 'Ann', company: { employees: 1200 }, score: 91, fields: {} },
      warnings: [{ path: 'company.employees', message: '"1,200" read as the number 1200' }],
    });
  });

  it('names the lead path and the expression of a value that cannot be a lead\'s', async () => {
    expect(await zap().toLead({ contact: { email: 'a@beta.io' }, score: 'high' })).toEqual({
      kind: 'invalid',
      issues: [{ path: 'score', message: 'expected number, got string', expression: 'score' }],
    });
  });

  it('names email, and its expression, when the payload has no contact', async () => {
    expect(await zap().toLead({ contact: { name: 'Ann' } })).toEqual({
      kind: 'invalid',
      issues: [{ path: 'email', message: 'at least one of email, linkedin_url is required', expression: 'contact.email' }],
    });
  });

  it('names the expression that fails while evaluating', async () => {
    const failing = mapping(`{ id: zap, preset: generic, map: { email: email, score: "$number(score)" } }`);
    expect(await failing.toLead({ email: 'a@beta.io', score: 'n/a' })).toEqual({
      kind: 'invalid',
      issues: [{ path: 'score', message: 'the expression failed: Unable to cast value to a number: "n/a" (at character 8)', expression: '$number(score)' }],
    });
  });

  it('says when the body is not an object', async () => {
    expect(await zap().toLead([{ contact: { email: 'a@beta.io' } }])).toEqual({ kind: 'invalid', issues: [{ path: '', message: 'expected a JSON object, got array' }] });
  });

  it('fills defaults only where the mapping left nothing', async () => {
    const withDefaults = mapping(`{ id: zap, preset: generic, map: { email: email, team: team }, defaults: { team: sdr, company.country: DE } }`);
    expect(await withDefaults.toLead({ email: 'a@beta.io', team: '' })).toMatchObject({ kind: 'lead', lead: { team: 'sdr', company: { country: 'DE' } } });
    expect(await withDefaults.toLead({ email: 'a@beta.io', team: 'sdr', company: 'x' })).toMatchObject({ kind: 'lead', lead: { team: 'sdr' } });
  });

  it('turns a whole fields object into lead fields: lists joined, nothing left out quietly, the rest left out with a warning', async () => {
    const objects = mapping(`{ id: zap, preset: generic, map: { email: email, fields: extra } }`);
    const long = 'x'.repeat(1200);
    const result = await objects.toLead({ email: 'a@beta.io', extra: { plan: 'pro', tags: ['a', 'b'], empty: '', none: null, 'bad key': 1, nested: { a: 1, b: 2 }, long } });
    expect(result).toEqual({
      kind: 'lead',
      lead: { source: 'form', email: 'a@beta.io', company: {}, fields: { plan: 'pro', tags: 'a, b', long: 'x'.repeat(1000) } },
      warnings: [
        { path: 'fields', message: '"bad key" is not a field name (letters, digits, _ . -; at most 64), left out' },
        { path: 'fields.nested', message: 'an object, left out (fields hold text, numbers and true/false)' },
        { path: 'fields.long', message: 'longer than 1000 characters, cut to 1000' },
      ],
    });
  });
});

describe('toLead on any payload', () => {
  it('never throws: every payload is a lead, ignored or invalid with its issues', async () => {
    const fc = (await import('fast-check')).default;
    const sources = [
      mapping('{ id: a, preset: typeform, secret_env: S }'),
      mapping('{ id: b, preset: hubspot, secret_env: S }'),
      mapping('{ id: c, preset: calendly, secret_env: S }'),
      mapping('{ id: d, preset: generic, map: { email: email, fields: "$", score: "$number(score)" } }'),
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...sources), fc.jsonValue({ maxDepth: 5 }), async (source, payload) => {
        const result = await source.toLead(payload);
        expect(['lead', 'ignored', 'invalid']).toContain(result.kind);
        if (result.kind === 'invalid') expect(result.issues.length).toBeGreaterThan(0);
      }),
      { numRuns: 400 },
    );
  });
});
