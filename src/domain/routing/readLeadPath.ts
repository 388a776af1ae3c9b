/**
 * Reading a lead field by the path rules name it with (`score`, `company.country`, `fields.plan`).
 * Pure.
 */
import type { Lead } from '../lead.ts';

/** How to read one path; built once per path so rule evaluation does no string work. */
export type LeadPathReader = (lead: Lead) => unknown;

function ownValue(record: object | undefined, key: string): unknown {
  // Own properties only: `fields.constructor` must not read Object.prototype.constructor.
  return record !== undefined && record !== null && Object.hasOwn(record, key) ? (record as Record<string, unknown>)[key] : undefined;
}

/** A reader for `path`: `company.<field>`, `fields.<name>` (the name may itself contain dots) or a top-level field. */
export function leadPathReader(path: string): LeadPathReader {
  if (path.startsWith('company.')) {
    const key = path.slice('company.'.length);
    return (lead) => ownValue(lead.company, key);
  }
  if (path.startsWith('fields.')) {
    const key = path.slice('fields.'.length);
    return (lead) => ownValue(lead.fields, key);
  }
  return (lead) => ownValue(lead, path);
}

/** The value at `path` in `lead` (`score`, `source`, `company.country`, `fields.plan` …); undefined when absent. */
export function readLeadPath(lead: Lead, path: string): unknown {
  return leadPathReader(path)(lead);
}
