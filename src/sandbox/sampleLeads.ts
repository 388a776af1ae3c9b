/**
 * Ten leads for the sandbox's "send 10 sample leads" button, chosen to walk through the example
 * config's rules: named accounts (acme.com, globex.com), hot leads, EMEA enterprise, a cold form lead
 * for the nurture sequence, and everyday leads for the fallback team. The page makes each email unique
 * per click, so a second click is not deduplicated against the first. Pure data.
 */
export interface SampleLead {
  source: 'form' | 'linkedin' | 'email' | 'whatsapp' | 'other';
  email: string;
  name: string;
  title: string;
  phone?: string;
  company: { name: string; domain: string; employees?: number; industry?: string; country?: string; region?: string };
  score: number;
  message?: string;
  fields?: Record<string, string | number | boolean>;
}

export function sampleLeads(): SampleLead[] {
  return [
    { source: 'form', email: 'jane.doe@acme.com', name: 'Jane Doe', title: 'VP Sales', phone: '+1 555 0100', company: { name: 'Acme', domain: 'acme.com', employees: 1200, industry: 'Software', country: 'US', region: 'NA' }, score: 87, message: 'We need 300 seats by Q3.', fields: { plan: 'enterprise', seats: 300 } },
    { source: 'email', email: 'hank.scorpio@globex.com', name: 'Hank Scorpio', title: 'CEO', company: { name: 'Globex', domain: 'globex.com', employees: 5000, industry: 'Manufacturing', country: 'US', region: 'NA' }, score: 64, message: 'Can we talk pricing this week?' },
    { source: 'linkedin', email: 'mia.wong@brightwave.io', name: 'Mia Wong', title: 'Head of RevOps', company: { name: 'Brightwave', domain: 'brightwave.io', employees: 180, industry: 'Fintech', country: 'US', region: 'NA' }, score: 92, message: 'Saw the demo, want a trial for 40 reps.' },
    { source: 'form', email: 'lukas.berger@nordstahl.de', name: 'Lukas Berger', title: 'IT Director', company: { name: 'Nordstahl', domain: 'nordstahl.de', employees: 8000, industry: 'Steel', country: 'DE', region: 'EMEA' }, score: 71, fields: { plan: 'enterprise' } },
    { source: 'email', email: 'claire.martin@lumiere.fr', name: 'Claire Martin', title: 'COO', company: { name: 'Lumière', domain: 'lumiere.fr', employees: 2300, industry: 'Retail', country: 'FR', region: 'EMEA' }, score: 58 },
    { source: 'form', email: 'sam.taylor@tinyshop.co', name: 'Sam Taylor', title: 'Founder', company: { name: 'Tinyshop', domain: 'tinyshop.co', employees: 3, industry: 'E-commerce', country: 'GB', region: 'EMEA' }, score: 12, fields: { plan: 'free' } },
    { source: 'whatsapp', email: 'ana.silva@portomar.pt', name: 'Ana Silva', title: 'Sales Manager', phone: '+351 21 000 0000', company: { name: 'Portomar', domain: 'portomar.pt', employees: 90, industry: 'Logistics', country: 'PT', region: 'EMEA' }, score: 45, message: 'Messaged on WhatsApp about the starter plan.' },
    { source: 'other', email: 'raj.patel@cloudnine.in', name: 'Raj Patel', title: 'CTO', company: { name: 'CloudNine', domain: 'cloudnine.in', employees: 400, industry: 'SaaS', country: 'IN', region: 'APAC' }, score: 76 },
    { source: 'linkedin', email: 'olivia.brown@maplehealth.ca', name: 'Olivia Brown', title: 'Procurement Lead', company: { name: 'Maple Health', domain: 'maplehealth.ca', employees: 650, industry: 'Healthcare', country: 'CA', region: 'NA' }, score: 39 },
    { source: 'form', email: 'tom.becker@wanderlust.com', name: 'Tom Becker', title: 'Marketing Manager', company: { name: 'Wanderlust', domain: 'wanderlust.com', employees: 25, industry: 'Travel', country: 'US', region: 'NA' }, score: 22, message: 'Just browsing for now.' },
  ];
}
