/**
 * Word-level tokenizer for the English-French pairs. The rules, in order:
 * 1. Unicode NFC, lower-case; the apostrophes `’ ‘` become `'`; the spaces U+202F (narrow no-break, which French
 *    puts before `! ? : ;`), U+00A0 and U+2009 become plain spaces, so `froid !` and `froid\u202F!` tokenize alike.
 * 2. A word is a run of letters, marks and digits, with single inner hyphens kept (`peut-être`, `est-ce`); every
 *    other punctuation or symbol character is a token of its own (`.`, `?`, `«`, `$`).
 * 3. Apostrophes inside a word split it: French elisions keep the apostrophe on the left (`l'homme` -> `l'`
 *    `homme`, `qu'il` -> `qu'` `il`); English clitics keep it on the right (`i'm` -> `i` `'m`, `tom's` -> `tom`
 *    `'s`), and `n't` is one token (`don't` -> `do` `n't`).
 * 4. An empty (all-space) sentence, or one with a control, private-use or unassigned character, is an error naming
 *    the input and the column.
 * `detokenize` undoes 2-3 for display: punctuation attaches to the left, French `! ? : ;` get U+202F before them.
 */
import { EddyError } from '../util/errors.ts';

/** The two sides of a pair. */
export type Language = 'en' | 'fr';

const WORD = /[\p{L}\p{M}\p{N}]+(?:['-][\p{L}\p{M}\p{N}]+)*|[\p{P}\p{S}]/gu;
const ALLOWED = /^[\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}\t]$/u;

/** Steps 1 and 4: the normalised text, or an error naming `what` (e.g. `input line 3`) and the column. */
export function normalizeSentence(text: string, what = 'sentence'): string {
  if (typeof text !== 'string') throw new EddyError('ERR_INVALID_ARG', `Expected a string for ${what}`);
  const t = text
    .normalize('NFC')
    .toLowerCase()
    .replace(/[’‘]/g, "'")
    .replace(/[\u202F\u00A0\u2009\t]/g, ' ');
  let col = 0;
  for (const ch of t) {
    col++;
    if (!ALLOWED.test(ch)) {
      const code = `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
      throw new EddyError(
        'ERR_INVALID_ARG',
        `Expected letters, digits, punctuation and spaces for ${what} but received the character ${code} at column ${col}`,
      );
    }
  }
  if (t.trim() === '') throw new EddyError('ERR_INVALID_ARG', `Expected a non-empty sentence for ${what}`);
  return t;
}

/** Step 3 for one word of `lang`. */
function splitApostrophes(word: string, lang: Language, out: string[]): void {
  if (!word.includes("'")) {
    out.push(word);
    return;
  }
  const parts = word.split("'");
  if (lang === 'fr') {
    for (let i = 0; i < parts.length - 1; i++) out.push(`${parts[i]}'`);
    out.push(parts[parts.length - 1]);
    return;
  }
  let head = parts[0];
  for (let i = 1; i < parts.length; i++) {
    if (parts[i] === 't' && head.endsWith('n') && head.length > 1) {
      out.push(head.slice(0, -1));
      head = "n't";
    } else {
      out.push(head);
      head = `'${parts[i]}`;
    }
  }
  out.push(head);
}

/**
 * The tokens of one sentence (rules in the file header).
 * @example tokenize("I'm cold.", 'en') // ['i', "'m", 'cold', '.']
 * @param what names the input in errors (`input line 3`)
 * @throws EddyError ERR_INVALID_ARG for an empty sentence or an unknown character
 */
export function tokenize(text: string, lang: Language, what = 'sentence'): string[] {
  const t = normalizeSentence(text, what);
  const out: string[] = [];
  for (const m of t.matchAll(WORD)) splitApostrophes(m[0], lang, out);
  return out;
}

const ATTACH_LEFT = new Set(['.', ',', ')', ']', '}', '%', '…']);
const FRENCH_SPACED = new Set(['!', '?', ':', ';']);

/**
 * Tokens back to text for display: words separated by spaces, punctuation attached to the left, English clitics
 * (`'m`, `n't`) to the word before, French elisions (`l'`) to the word after, and in French U+202F before `! ? : ;`.
 * @example detokenize(["j'", 'ai', 'froid', '!'], 'fr') // "j'ai froid\u202F!"
 */
export function detokenize(tokens: readonly string[], lang: Language): string {
  let s = '';
  let glueNext = true;
  for (const tok of tokens) {
    let sep = ' ';
    if (glueNext) sep = '';
    else if (ATTACH_LEFT.has(tok)) sep = '';
    else if (lang === 'en' && (tok.startsWith("'") || tok === "n't") && tok.length > 1) sep = '';
    else if (lang === 'en' && (tok === '!' || tok === '?' || tok === ':' || tok === ';')) sep = '';
    else if (lang === 'fr' && FRENCH_SPACED.has(tok)) sep = '\u202F';
    s += sep + tok;
    glueNext = tok === '(' || (lang === 'fr' && tok.length > 1 && tok.endsWith("'"));
  }
  return s;
}
