/** The presets by name: what `preset:` in a source of leadrelay.yml selects (SPEC 2b). */
import { calendlyPreset } from './calendlyPreset.ts';
import { genericPreset } from './genericPreset.ts';
import { hubspotPreset } from './hubspotPreset.ts';
import type { SourcePresetName } from '../../config/schema.ts';
import type { SourcePreset } from './sourcePreset.ts';
import { typeformPreset } from './typeformPreset.ts';

export const SOURCE_PRESETS: Readonly<Record<SourcePresetName, SourcePreset>> = {
  typeform: typeformPreset,
  hubspot: hubspotPreset,
  calendly: calendlyPreset,
  generic: genericPreset,
};
