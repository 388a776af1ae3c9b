/** The small routing config the routing use-case tests share: four reps, three teams, an account, a sequence, four rules. */
import { parseConfig } from '../../src/config/loadConfig.ts';
import type { Config } from '../../src/config/schema.ts';

export const ROUTING_YAML = `
timezone: UTC
sla: { claim_within: 5m, remind_at: 50%, max_offers: 3 }
managers: [U0MGR]
reps:
  - { id: U0ALICE, name: Alice, email: alice@example.com, capacity: 1 }
  - { id: U0BOB, name: Bob, weight: 2 }
  - { id: U0CAROL, name: Carol }
  - { id: U0DAN, name: Dan, hours: "Mon-Fri 09:00-17:00" }
teams:
  - { id: senior, manager: U0MGR, members: [U0ALICE] }
  - { id: sdr, manager: U0MGR, members: [U0BOB, U0CAROL] }
  - { id: night, manager: U0MGR, members: [U0DAN] }
accounts:
  - { domain: acme.com, owner: U0CAROL }
sequences:
  - { id: nurture, webhook: "http://127.0.0.1:9/nurture", channel: C0NURTURE }
rules:
  - { name: Named account, route: account_owner }
  - { name: Hot lead, when: { score: { gte: 80 } }, route: { team: senior } }
  - { name: Night shift, when: { fields.shift: night }, route: { team: night } }
  - { name: Cold lead, when: { score: { lt: 30 } }, route: { sequence: nurture } }
fallback: { team: sdr }
`;

export function routingConfig(yaml = ROUTING_YAML): Config {
  const result = parseConfig(yaml, 'test.yml');
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.config;
}
