import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatCompanyTableErrors, openCompanyTable, parseCompanyTable } from '../../../src/adapters/enrichment/companyTable.ts';
import { parseConfig } from '../../../src/config/loadConfig.ts';
import type { Config } from '../../../src/config/schema.ts';
import { useTempDir } from '../../support/cli.ts';

const temp = useTempDir('leadrelay-companies-');

function table(text: string) {
  const result = parseCompanyTable(text);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.table;
}

function errorsOf(text: string) {
  const result = parseCompanyTable(text);
  if (result.ok) throw new Error('expected errors');
  return formatCompanyTableErrors('companies.csv', result.errors);
}

function configWith(companies: string): Config {
  const result = parseConfig(`reps: [{ id: U0ALICE }]\nfallback: { rep: U0ALICE }\nenrichment:\n  companies: ${companies}\n`, 'leadrelay.yml');
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.config;
}

describe('the company table', () => {
  it('reads each row by its normalized domain, numbers as numbers, empty cells as unknown', () => {
    const companies = table('domain,name,employees,industry,country,region\nWWW.Acme.COM,Acme,1200,Software,DE,EMEA\nglobex.com,Globex,,,,\n');
    expect(companies.get('acme.com')).toEqual({ name: 'Acme', employees: 1200, industry: 'Software', country: 'DE', region: 'EMEA' });
    expect(companies.get('globex.com')).toEqual({ name: 'Globex' });
    expect(companies.get('initech.io')).toBeUndefined();
  });

  it('takes the columns in any order and any case, only domain being required; quoted cells may hold commas', () => {
    const companies = table('Country,DOMAIN,name\r\nFR,initech.fr,"Initech, SARL"\r\n\r\n');
    expect([...companies]).toEqual([['initech.fr', { country: 'FR', name: 'Initech, SARL' }]]);
  });

  it('reads employees written with a thousands space or underscore', () => {
    expect(table('domain,employees\nacme.com,12 000\nglobex.com,1_500\n').get('acme.com')).toEqual({ employees: 12_000 });
  });

  it('refuses a file with bad rows, naming each problem by its row (the header is row 1)', () => {
    const text = [
      'domain,name,employees,country',
      'acme.com,Acme,1200,DE',
      'globex.com,Globex,many,US',
      ',Nameless,10,FR',
      'not a domain,Bad,10,FR',
      'gmail.com,Google,10,US',
      'ACME.com,Acme again,5,DE',
      'initech.io,Initech,5,US,extra',
      'hooli.com,Hooli,12.5,US',
    ].join('\n');
    expect(errorsOf(text)).toEqual([
      'companies.csv row 3: employees: expected a number, got "many"',
      'companies.csv row 4: domain: missing',
      'companies.csv row 5: domain: invalid domain "not a domain" (use the bare domain, e.g. acme.com)',
      'companies.csv row 6: domain: gmail.com is a free-mail domain (its users are not one company); remove the row',
      'companies.csv row 7: domain: acme.com is already on row 2',
      'companies.csv row 8: 5 cells, but the header has 4 columns (quote cells that contain commas)',
      'companies.csv row 9: employees: expected a number, got "12.5"',
    ]);
  });

  it('counts rows by the line they start on, so a quoted line break does not shift the numbers after it', () => {
    expect(errorsOf('domain,name\nacme.com,"Acme\nGmbH"\nglobex.com,Globex,x\n')).toEqual(['companies.csv row 4: 3 cells, but the header has 2 columns (quote cells that contain commas)']);
  });

  it('refuses a header with unknown, repeated or missing columns', () => {
    expect(errorsOf('domain,size,name,name\n')).toEqual([
      'companies.csv row 1: unknown column "size" (columns: domain, name, employees, industry, country, region)',
      'companies.csv row 1: column "name" appears twice',
    ]);
    expect(errorsOf('name,country\nAcme,DE\n')).toEqual(['companies.csv row 1: no "domain" column (the header row names the columns: domain,name,employees,industry,country,region)']);
  });

  it('refuses an empty file and an unclosed quote', () => {
    expect(errorsOf('')).toEqual(['companies.csv: the file is empty (expected a header row: domain,name,employees,industry,country,region)']);
    expect(errorsOf('domain,name\nacme.com,"Acme\n')).toEqual(['companies.csv row 2: a quoted field is not closed (a " is missing)']);
  });
});

describe('openCompanyTable', () => {
  it('is null when enrichment.companies is not configured', () => {
    const config = parseConfig('reps: [{ id: U0ALICE }]\nfallback: { rep: U0ALICE }\n', 'x.yml');
    if (!config.ok) throw new Error('bad config');
    expect(openCompanyTable(config.config, join(temp.dir, 'leadrelay.yml'))).toEqual({ ok: true, file: null });
  });

  it('reads a relative path from the config file’s folder', () => {
    temp.file('companies.csv', 'domain,name\nacme.com,Acme\n');
    const opened = openCompanyTable(configWith('./companies.csv'), join(temp.dir, 'leadrelay.yml'));
    if (!opened.ok || !opened.file) throw new Error(JSON.stringify(opened));
    expect(opened.file.path).toBe(join(temp.dir, 'companies.csv'));
    expect(opened.file.table().get('acme.com')).toEqual({ name: 'Acme' });
  });

  it('names the config key and the path it looked for when the file is missing', () => {
    expect(openCompanyTable(configWith('./companies.csv'), join(temp.dir, 'leadrelay.yml'))).toEqual({
      ok: false,
      errors: [`enrichment.companies: file not found: ./companies.csv (looked for ${join(temp.dir, 'companies.csv')})`],
    });
  });

  it('reloads a valid file, and keeps the table in use when the new file is invalid', () => {
    const path = temp.file('companies.csv', 'domain,name\nacme.com,Acme\n');
    const opened = openCompanyTable(configWith(path), join(temp.dir, 'leadrelay.yml'));
    if (!opened.ok || !opened.file) throw new Error(JSON.stringify(opened));
    const file = opened.file;

    writeFileSync(path, 'domain,name,employees\nacme.com,Acme,lots\nglobex.com,Globex,10\n');
    expect(file.reload()).toEqual({ ok: false, errors: [`${path} row 2: employees: expected a number, got "lots"`] });
    expect([...file.table().keys()]).toEqual(['acme.com']);

    writeFileSync(path, 'domain,name,employees\nacme.com,Acme,1200\nglobex.com,Globex,10\n');
    expect(file.reload()).toEqual({ ok: true, size: 2 });
    expect(file.table().get('acme.com')).toEqual({ name: 'Acme', employees: 1200 });
  });
});
