/**
 * A subset of Slack's Block Kit validation: enough to make the usual bot bugs fail like they fail
 * against real Slack (`invalid_blocks` with `[ERROR] … [json-pointer:…]` messages): blocks that are
 * not an array, unknown block types, duplicate block_ids / action_ids, empty or over-long texts,
 * too many blocks or elements, a modal with inputs but no submit button.
 */

const BLOCK_TYPES = new Set([
  'actions',
  'call',
  'context',
  'context_actions',
  'divider',
  'file',
  'header',
  'image',
  'input',
  'markdown',
  'rich_text',
  'section',
  'table',
  'video',
]);

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class Problems {
  readonly list: string[] = [];
  add(message: string, pointer: string): void {
    this.list.push(`${message} [json-pointer:${pointer}]`);
  }
}

function checkText(
  problems: Problems,
  value: unknown,
  pointer: string,
  { plainOnly = false, max = 3000 }: { plainOnly?: boolean; max?: number } = {},
): void {
  if (!isObject(value)) {
    problems.add('must provide an object', pointer);
    return;
  }
  const allowed = plainOnly ? ['plain_text'] : ['plain_text', 'mrkdwn'];
  if (typeof value.type !== 'string' || !allowed.includes(value.type)) {
    problems.add(`must be one of ${allowed.join(', ')}`, `${pointer}/type`);
  }
  if (typeof value.text !== 'string') {
    problems.add('must provide a string', `${pointer}/text`);
  } else if (value.text.length === 0) {
    problems.add('must be more than 0 characters', `${pointer}/text`);
  } else if (value.text.length > max) {
    problems.add(`must be less than ${max + 1} characters`, `${pointer}/text`);
  }
}

function checkElement(problems: Problems, element: unknown, pointer: string, actionIds: Set<string>): void {
  if (!isObject(element) || typeof element.type !== 'string') {
    problems.add('must provide an element object with a type', pointer);
    return;
  }
  if (element.action_id !== undefined) {
    if (typeof element.action_id !== 'string' || element.action_id.length === 0 || element.action_id.length > 255) {
      problems.add('must be a string of 1 to 255 characters', `${pointer}/action_id`);
    } else if (actionIds.has(element.action_id)) {
      problems.add(`duplicate action_id: ${element.action_id}`, `${pointer}/action_id`);
    } else {
      actionIds.add(element.action_id);
    }
  }
  if (element.type === 'button') {
    checkText(problems, element.text, `${pointer}/text`, { plainOnly: true, max: 75 });
    if (element.value !== undefined && (typeof element.value !== 'string' || element.value.length > 2000)) {
      problems.add('must be a string of at most 2000 characters', `${pointer}/value`);
    }
    if (element.style !== undefined && element.style !== 'primary' && element.style !== 'danger') {
      problems.add('must be one of primary, danger', `${pointer}/style`);
    }
  }
  if ((element.type === 'static_select' || element.type === 'overflow') && element.options !== undefined) {
    if (!Array.isArray(element.options) || element.options.length > 100) {
      problems.add('must be an array of at most 100 items', `${pointer}/options`);
    }
  }
}

/**
 * Problems in a `blocks` array, as Slack words them; empty when Slack would accept the blocks.
 */
export function blockProblems(blocks: unknown, { maxBlocks = 50 }: { maxBlocks?: number } = {}): string[] {
  const problems = new Problems();
  if (!Array.isArray(blocks)) {
    problems.add('must provide an array', '/blocks');
    return problems.list;
  }
  if (blocks.length > maxBlocks) problems.add(`no more than ${maxBlocks} items allowed`, '/blocks');
  const blockIds = new Set<string>();
  blocks.forEach((block, index) => {
    const at = `/blocks/${index}`;
    if (!isObject(block)) {
      problems.add('must provide an object', at);
      return;
    }
    if (typeof block.type !== 'string' || !BLOCK_TYPES.has(block.type)) {
      problems.add(`unsupported type: ${String(block.type)}`, `${at}/type`);
      return;
    }
    if (block.block_id !== undefined) {
      if (typeof block.block_id !== 'string' || block.block_id.length === 0 || block.block_id.length > 255) {
        problems.add('must be a string of 1 to 255 characters', `${at}/block_id`);
      } else if (blockIds.has(block.block_id)) {
        problems.add(`duplicate block_id: ${block.block_id}`, `${at}/block_id`);
      } else {
        blockIds.add(block.block_id);
      }
    }
    const actionIds = new Set<string>();
    switch (block.type) {
      case 'section': {
        if (block.text === undefined && block.fields === undefined) {
          problems.add('must provide either text or fields', at);
        }
        if (block.text !== undefined) checkText(problems, block.text, `${at}/text`);
        if (block.fields !== undefined) {
          if (!Array.isArray(block.fields) || block.fields.length === 0 || block.fields.length > 10) {
            problems.add('must be an array of 1 to 10 items', `${at}/fields`);
          } else {
            block.fields.forEach((field, i) => checkText(problems, field, `${at}/fields/${i}`, { max: 2000 }));
          }
        }
        if (block.accessory !== undefined) checkElement(problems, block.accessory, `${at}/accessory`, actionIds);
        break;
      }
      case 'header':
        checkText(problems, block.text, `${at}/text`, { plainOnly: true, max: 150 });
        break;
      case 'actions':
        if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 25) {
          problems.add('must be an array of 1 to 25 items', `${at}/elements`);
        } else {
          block.elements.forEach((el, i) => checkElement(problems, el, `${at}/elements/${i}`, actionIds));
        }
        break;
      case 'context':
        if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 10) {
          problems.add('must be an array of 1 to 10 items', `${at}/elements`);
        } else {
          block.elements.forEach((el, i) => {
            if (isObject(el) && (el.type === 'plain_text' || el.type === 'mrkdwn')) {
              checkText(problems, el, `${at}/elements/${i}`);
            } else if (!isObject(el) || el.type !== 'image') {
              problems.add('must be a text object or an image element', `${at}/elements/${i}`);
            }
          });
        }
        break;
      case 'input':
        checkText(problems, block.label, `${at}/label`, { plainOnly: true, max: 2000 });
        if (block.element === undefined) problems.add('must provide an element', `${at}/element`);
        else checkElement(problems, block.element, `${at}/element`, actionIds);
        break;
      default:
        break;
    }
  });
  return problems.list;
}

/** Problems in a view object for views.publish / open / update / push. */
export function viewProblems(view: unknown, expectedType: 'home' | 'modal' | 'any'): string[] {
  if (!isObject(view)) return ['must provide an object [json-pointer:/view]'];
  const problems = new Problems();
  if (view.type !== 'home' && view.type !== 'modal') {
    problems.add('must be one of home, modal', '/view/type');
  } else if (expectedType !== 'any' && view.type !== expectedType) {
    problems.add(`must be ${expectedType} for this method`, '/view/type');
  }
  const blocks = blockProblems(view.blocks, { maxBlocks: 100 }).map((p) => p.replace('[json-pointer:/blocks', '[json-pointer:/view/blocks'));
  problems.list.push(...blocks);
  if (view.type === 'modal') {
    checkText(problems, view.title, '/view/title', { plainOnly: true, max: 24 });
    if (view.submit !== undefined) checkText(problems, view.submit, '/view/submit', { plainOnly: true, max: 24 });
    if (view.close !== undefined) checkText(problems, view.close, '/view/close', { plainOnly: true, max: 24 });
    const hasInput = Array.isArray(view.blocks) && view.blocks.some((b) => isObject(b) && b.type === 'input');
    if (hasInput && view.submit === undefined) problems.add('submit is required when an input block is within the blocks', '/view');
  }
  if (view.private_metadata !== undefined && (typeof view.private_metadata !== 'string' || view.private_metadata.length > 3000)) {
    problems.add('must be a string of at most 3000 characters', '/view/private_metadata');
  }
  if (view.callback_id !== undefined && (typeof view.callback_id !== 'string' || view.callback_id.length > 255)) {
    problems.add('must be a string of at most 255 characters', '/view/callback_id');
  }
  return problems.list;
}

/** Where an interactive element with `actionId` sits in blocks: its block_id and the element itself. */
export function findElement(
  blocks: readonly Record<string, unknown>[] | undefined,
  actionId: string,
): { blockId: string; element: Record<string, unknown> } | undefined {
  for (const block of blocks ?? []) {
    const candidates: unknown[] = [];
    if (Array.isArray(block.elements)) candidates.push(...block.elements);
    if (block.accessory !== undefined) candidates.push(block.accessory);
    if (block.element !== undefined) candidates.push(block.element);
    for (const el of candidates) {
      if (isObject(el) && el.action_id === actionId) {
        return { blockId: String(block.block_id), element: el };
      }
    }
  }
  return undefined;
}
