import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assignBlockId,
  leadButtonValue,
  offerButtonValue,
  parseAssignBlockId,
  parseLeadButtonValue,
  parseOfferButtonValue,
  parsePassReasonValue,
  passReasonValue,
} from '../../../src/adapters/slack/cardValues.ts';
import { PASS_REASONS } from '../../../src/adapters/slack/slackIds.ts';

const ids = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
const versions = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

describe('offer button values', () => {
  it('encodes the offer id and version as offer:<id>:<version>', () => {
    expect(offerButtonValue(123, 2)).toBe('offer:123:2');
    expect(offerButtonValue(1, 0)).toBe('offer:1:0');
  });

  it('reads back what it encodes, for any id and version', () => {
    fc.assert(fc.property(ids, versions, (offerId, version) => {
      expect(parseOfferButtonValue(offerButtonValue(offerId, version))).toEqual({ offerId, version });
    }));
  });

  it.each([
    '', 'offer', 'offer:', 'offer:1', 'offer:1:', 'offer::1', 'offer:1:2:3', 'offer:01:2', 'offer:1:02', 'offer:0:1',
    'offer:-1:2', 'offer:1:-2', 'offer:1.5:2', 'offer:1e3:2', 'offer:0x1:2', ' offer:1:2', 'offer:1:2 ', 'offer:1:2\n',
    'OFFER:1:2', 'lead:1:2', 'assign:1:2', 'offer:99999999999999999:1', 'offer:9007199254740992:1', 'offer:１:2',
  ])('rejects %j', (text) => {
    expect(parseOfferButtonValue(text)).toBeNull();
  });

  it.each([null, undefined, 123, {}, ['offer:1:2'], true])('rejects a %s instead of a string', (value) => {
    expect(parseOfferButtonValue(value)).toBeNull();
  });

  it('refuses to encode an id or version that could not be read back', () => {
    for (const [id, version] of [[0, 1], [-1, 1], [1.5, 1], [Number.NaN, 1], [1, -1], [1, 0.5], [Number.MAX_SAFE_INTEGER + 1, 1]] as const) {
      expect(() => offerButtonValue(id, version)).toThrow(RangeError);
    }
  });
});

describe('lead button values', () => {
  it('encodes the lead id and version as lead:<id>:<version>', () => {
    expect(leadButtonValue(17, 5)).toBe('lead:17:5');
  });

  it('reads back what it encodes, for any id and version', () => {
    fc.assert(fc.property(ids, versions, (leadId, version) => {
      expect(parseLeadButtonValue(leadButtonValue(leadId, version))).toEqual({ leadId, version });
    }));
  });

  it.each(['', 'lead:17', 'lead:17:5:1', 'lead:017:5', 'lead:0:5', 'offer:17:5', 'assign:17:5', 'lead:17:x', 'L-17'])('rejects %j', (text) => {
    expect(parseLeadButtonValue(text)).toBeNull();
  });
});

describe('assign block ids', () => {
  it('encodes the lead id and version as assign:<id>:<version>', () => {
    expect(assignBlockId(17, 5)).toBe('assign:17:5');
  });

  it('reads back what it encodes, for any id and version', () => {
    fc.assert(fc.property(ids, versions, (leadId, version) => {
      expect(parseAssignBlockId(assignBlockId(leadId, version))).toEqual({ leadId, version });
    }));
  });

  it.each(['', 'assign:17', 'assign:17:5:1', 'assign:17:05', 'lead:17:5', 'offer:17:5', 'assign: 17:5'])('rejects %j', (text) => {
    expect(parseAssignBlockId(text)).toBeNull();
  });

  it('stays within the 255 characters Slack allows a block_id', () => {
    expect(assignBlockId(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER).length).toBeLessThanOrEqual(255);
  });
});

describe('the parsers', () => {
  it('never throw, and accept only what an encoder makes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('offer:', 'lead:', 'assign:').chain((p) => fc.string().map((s) => p + s))), (text) => {
        const offer = parseOfferButtonValue(text);
        if (offer) expect(offerButtonValue(offer.offerId, offer.version)).toBe(text);
        const lead = parseLeadButtonValue(text);
        if (lead) expect(leadButtonValue(lead.leadId, lead.version)).toBe(text);
        const assign = parseAssignBlockId(text);
        if (assign) expect(assignBlockId(assign.leadId, assign.version)).toBe(text);
      }),
    );
  });
});

describe('pass reason values', () => {
  it('encodes the offer, its version and a reason code, and reads back the reason in words', () => {
    expect(passReasonValue(123, 2, 'territory')).toBe('offer:123:2:territory');
    expect(parsePassReasonValue('offer:123:2:territory')).toEqual({ offerId: 123, version: 2, reason: PASS_REASONS.territory });
  });

  it('reads back every reason for any id and version', () => {
    fc.assert(
      fc.property(ids, versions, fc.constantFrom(...(Object.keys(PASS_REASONS) as (keyof typeof PASS_REASONS)[])), (id, version, code) => {
        expect(parsePassReasonValue(passReasonValue(id, version, code))).toEqual({ offerId: id, version, reason: PASS_REASONS[code] });
      }),
    );
  });

  it('refuses an unknown reason, a missing one, a bad offer part, or a non-string', () => {
    for (const value of ['offer:123:2:toString', 'offer:123:2:', 'offer:123:2', 'offer:0123:2:fit', 'lead:1:2:fit', 'offer:1:2:fit:x', undefined, 42]) {
      expect(parsePassReasonValue(value)).toBeNull();
    }
  });
});
