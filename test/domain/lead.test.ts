import { describe, expect, it } from 'vitest';
import { emailDomain, isFreeMailDomain, leadDomain, leadRef, normalizeEmail, normalizeLinkedInUrl, parseLeadRef } from '../../src/domain/lead.ts';

describe('lead references', () => {
  it('formats and parses L-<n> in any case', () => {
    expect(leadRef(17)).toBe('L-17');
    expect(parseLeadRef('L-17')).toBe(17);
    expect(parseLeadRef(' l-17 ')).toBe(17);
  });

  it('rejects what is not a reference', () => {
    for (const text of ['17', 'L-', 'L-0', 'L-1x', 'lead-3', '']) expect(parseLeadRef(text)).toBeNull();
  });
});

describe('normalizeEmail', () => {
  it('lower-cases and trims', () => {
    expect(normalizeEmail('  Jane.Doe@Acme.COM ')).toBe('jane.doe@acme.com');
  });
});

describe('normalizeLinkedInUrl', () => {
  it.each([
    'https://www.linkedin.com/in/janedoe/',
    'http://linkedin.com/in/janedoe',
    'linkedin.com/in/janedoe/',
    'www.linkedin.com/in/JaneDoe',
    'https://www.linkedin.com/in/janedoe?trk=abc',
    'https://www.linkedin.com/in/janedoe/#about',
    'HTTPS://WWW.LINKEDIN.COM/IN/JANEDOE//',
  ])('reduces %s to linkedin.com/in/janedoe', (url) => {
    expect(normalizeLinkedInUrl(url)).toBe('linkedin.com/in/janedoe');
  });
});

describe('company domain', () => {
  it('takes the domain from the e-mail', () => {
    expect(emailDomain('jane@Acme.com')).toBe('acme.com');
    expect(leadDomain({ email: 'jane@acme.com', company: {} })).toBe('acme.com');
  });

  it('prefers the given company domain, normalized', () => {
    expect(leadDomain({ email: 'jane@acme.com', company: { domain: 'https://www.Acme.io/' } })).toBe('acme.io');
  });

  it('ignores free-mail domains', () => {
    expect(isFreeMailDomain('Gmail.com')).toBe(true);
    expect(leadDomain({ email: 'jane@gmail.com', company: {} })).toBeNull();
  });
});
