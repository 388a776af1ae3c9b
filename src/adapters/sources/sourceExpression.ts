/**
 * JSONata, the expression language of source mappings (SPEC 2b): compiling an expression, and its
 * errors in words. Expressions are compiled once, when the config is loaded; evaluating one is async.
 */
import jsonata from 'jsonata';

export type Expression = jsonata.Expression;

/** Compiles JSONata text; throws JSONata's error (see expressionErrorText) when it is not valid. */
export function compileExpression(text: string): Expression {
  return jsonata(text);
}

/** A JSONata error (compile or evaluation) as one line: `Expected "]" before end of expression (at character 32)`. */
export function expressionErrorText(error: unknown): string {
  const { message, position } = (error ?? {}) as { message?: unknown; position?: unknown };
  const text = typeof message === 'string' && message !== '' ? message : String(error);
  return typeof position === 'number' && position > 0 ? `${text} (at character ${position})` : text;
}

/** Why `text` is not a JSONata expression, or undefined when it is one. */
export function expressionSyntaxError(text: string): string | undefined {
  try {
    compileExpression(text);
    return undefined;
  } catch (error) {
    return expressionErrorText(error);
  }
}
