import { describe, expect, it } from 'vitest';
import { describeCondition, matchCondition, readLeadPath } from '../../../src/domain/routing/index.ts';
import { buildLead, condition } from './builders.ts';

const lead = buildLead({
  source: 'linkedin',
  score: 87,
  title: 'VP Sales',
  message: 'We need 300 seats by Q3',
  company: { name: 'Acme', domain: 'acme.com', employees: 1200, country: 'DE' },
  fields: { plan: 'enterprise', seats: 300, trial: true, ref: '42' },
});

function check(when: Record<string, unknown>) {
  return matchCondition(condition(when), lead);
}

describe('readLeadPath', () => {
  it('reads top-level fields', () => {
    expect(readLeadPath(lead, 'score')).toBe(87);
    expect(readLeadPath(lead, 'source')).toBe('linkedin');
  });

  it('reads company fields', () => {
    expect(readLeadPath(lead, 'company.country')).toBe('DE');
  });

  it('reads free-form fields', () => {
    expect(readLeadPath(lead, 'fields.plan')).toBe('enterprise');
  });

  it('gives undefined for absent fields', () => {
    expect(readLeadPath(lead, 'company.region')).toBeUndefined();
    expect(readLeadPath(lead, 'fields.missing')).toBeUndefined();
  });

  it('does not read inherited properties', () => {
    expect(readLeadPath(lead, 'fields.constructor')).toBeUndefined();
    expect(readLeadPath(lead, 'company.toString')).toBeUndefined();
  });
});

describe('matchCondition: operators', () => {
  it('eq: a plain value tests equality', () => {
    expect(check({ source: 'linkedin' })).toEqual({ matched: true, detail: 'source = linkedin' });
    expect(check({ source: 'form' })).toEqual({ matched: false, detail: 'source is linkedin, not form' });
  });

  it('eq: compares strings case-insensitively', () => {
    expect(check({ 'company.country': 'de' }).matched).toBe(true);
  });

  it('eq: a number equals a numeric string', () => {
    expect(check({ 'fields.ref': 42 }).matched).toBe(true);
    expect(check({ 'fields.seats': '300' }).matched).toBe(true);
  });

  it('eq: compares booleans', () => {
    expect(check({ 'fields.trial': true }).matched).toBe(true);
    expect(check({ 'fields.trial': false })).toEqual({ matched: false, detail: 'fields.trial is true, not false' });
  });

  it('ne', () => {
    expect(check({ source: { ne: 'form' } }).matched).toBe(true);
    expect(check({ source: { ne: 'LinkedIn' } })).toEqual({ matched: false, detail: 'source is linkedin (excluded by ne)' });
  });

  it('in', () => {
    expect(check({ 'company.country': { in: ['DE', 'FR', 'GB'] } }).matched).toBe(true);
    expect(check({ 'company.country': { in: ['US', 'CA'] } })).toEqual({ matched: false, detail: 'company.country DE is not in US, CA' });
  });

  it('not_in', () => {
    expect(check({ 'company.country': { not_in: ['US', 'CA'] } }).matched).toBe(true);
    expect(check({ 'company.country': { not_in: ['DE'] } })).toEqual({ matched: false, detail: 'company.country DE is in DE (excluded by not_in)' });
  });

  it('gt', () => {
    expect(check({ score: { gt: 86 } }).matched).toBe(true);
    expect(check({ score: { gt: 87 } })).toEqual({ matched: false, detail: 'score 87 is not > 87' });
  });

  it('gte', () => {
    expect(check({ score: { gte: 87 } }).matched).toBe(true);
    expect(check({ score: { gte: 90 } })).toEqual({ matched: false, detail: 'score 87 is not ≥ 90' });
  });

  it('lt', () => {
    expect(check({ score: { lt: 88 } }).matched).toBe(true);
    expect(check({ score: { lt: 30 } })).toEqual({ matched: false, detail: 'score 87 is not < 30' });
  });

  it('lte', () => {
    expect(check({ score: { lte: 87 } }).matched).toBe(true);
    expect(check({ score: { lte: 86 } })).toEqual({ matched: false, detail: 'score 87 is not ≤ 86' });
  });

  it('compares numeric strings as numbers', () => {
    expect(check({ 'fields.ref': { gte: 40 } }).matched).toBe(true);
  });

  it('fails a comparison on a value that is not a number', () => {
    expect(check({ 'fields.plan': { gt: 1 } })).toEqual({ matched: false, detail: 'fields.plan enterprise is not a number' });
  });

  it('checks every operator given for one field', () => {
    expect(check({ score: { gte: 80, lt: 90 } }).matched).toBe(true);
    expect(check({ score: { gte: 30, lt: 80 } })).toEqual({ matched: false, detail: 'score 87 is not < 80' });
  });

  it('exists', () => {
    expect(check({ 'company.country': { exists: true } }).matched).toBe(true);
    expect(check({ 'company.region': { exists: false } }).matched).toBe(true);
    expect(check({ 'company.region': { exists: true } })).toEqual({ matched: false, detail: 'company.region is missing' });
    expect(check({ 'company.country': { exists: false } })).toEqual({ matched: false, detail: 'company.country is present (DE)' });
  });

  it('matches: a case-insensitive regular expression', () => {
    expect(check({ title: { matches: '^vp|chief' } }).matched).toBe(true);
    expect(check({ title: { matches: 'intern' } })).toEqual({ matched: false, detail: 'title "VP Sales" does not match /intern/i' });
  });

  it('contains: a case-insensitive substring', () => {
    expect(check({ message: { contains: 'SEATS' } }).matched).toBe(true);
    expect(check({ message: { contains: 'demo' } })).toEqual({ matched: false, detail: 'message "We need 300 seats by Q3" does not contain demo' });
  });
});

describe('matchCondition: combining', () => {
  it('requires every field (AND) and reports the first that fails', () => {
    expect(check({ score: { gte: 80 }, 'company.country': 'FR', source: 'form' })).toEqual({ matched: false, detail: 'company.country is DE, not FR' });
  });

  it('any: holds when one alternative holds (OR)', () => {
    expect(check({ any: [{ source: 'form' }, { 'fields.plan': 'enterprise' }] }).matched).toBe(true);
  });

  it('any: fails with every alternative\'s reason when none holds', () => {
    expect(check({ any: [{ source: 'form' }, { score: { lt: 30 } }] })).toEqual({
      matched: false,
      detail: 'none of any holds (source is linkedin, not form; score 87 is not < 30)',
    });
  });

  it('any: is combined with the other fields by AND', () => {
    expect(check({ score: { lt: 30 }, any: [{ source: 'linkedin' }] })).toEqual({ matched: false, detail: 'score 87 is not < 30' });
  });

  it('nested any', () => {
    const when = { any: [{ source: 'form' }, { score: { gte: 80 }, any: [{ 'company.country': 'FR' }, { 'fields.plan': 'enterprise' }] }] };
    expect(check(when).matched).toBe(true);
    expect(matchCondition(condition(when), buildLead({ source: 'email', score: 90, company: { country: 'US' } })).matched).toBe(false);
  });

  it('an empty condition always matches', () => {
    expect(matchCondition({}, lead)).toEqual({ matched: true, detail: 'always' });
  });
});

describe('matchCondition: missing fields', () => {
  const bare = buildLead({ company: {}, fields: {} });

  it('fails a test that needs a value', () => {
    expect(matchCondition(condition({ score: { gte: 80 } }), bare)).toEqual({ matched: false, detail: 'score is missing' });
    expect(matchCondition(condition({ 'company.country': { in: ['DE'] } }), bare)).toEqual({ matched: false, detail: 'company.country is missing' });
    expect(matchCondition(condition({ 'fields.plan': 'free' }), bare)).toEqual({ matched: false, detail: 'fields.plan is missing' });
    expect(matchCondition(condition({ title: { matches: 'vp' } }), bare).matched).toBe(false);
  });

  it('lets ne and not_in hold: a missing value is not the excluded one', () => {
    expect(matchCondition(condition({ 'company.country': { ne: 'US' } }), bare).matched).toBe(true);
    expect(matchCondition(condition({ 'company.country': { not_in: ['US'] } }), bare).matched).toBe(true);
  });

  it('treats a blank string as missing', () => {
    expect(matchCondition(condition({ title: { exists: true } }), buildLead({ title: '  ' })).matched).toBe(false);
  });
});

describe('describeCondition', () => {
  it('puts a condition in words', () => {
    expect(describeCondition(condition({ score: { lt: 30 }, any: [{ source: 'form' }, { 'fields.plan': 'free' }] }))).toBe(
      'score < 30 and (source = form or fields.plan = free)',
    );
  });

  it('says always for no condition', () => {
    expect(describeCondition(undefined)).toBe('always');
  });
});
