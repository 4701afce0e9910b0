/**
 * Just enough XML for XML-RPC, and nothing that can be turned against the daemon: no DTD (so no
 * entity of the sender's: no billion laughs, no external file), only the five predefined
 * entities and character references, a bounded depth, and every error a `XmlError` with where
 * it happened. Attributes are read past and ignored (XML-RPC has none).
 */

export type XmlElement = { name: string; children: XmlElement[]; text: string };

export class XmlError extends Error {
  override name = 'XmlError';
}

/** Deeper than this is no XML-RPC call anybody means (a struct in an array in a struct …). */
export const MAX_XML_DEPTH = 64;

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** The root element of `text`, with each element's own text (the text of its children apart). */
export function parseXml(text: string): XmlElement {
  let i = 0;
  const fail = (what: string): never => {
    throw new XmlError(`${what} at character ${i}`);
  };
  const skipMisc = () => {
    for (;;) {
      while (i < text.length && /\s/.test(text[i]!)) i++;
      if (text.startsWith('<?', i)) {
        const end = text.indexOf('?>', i + 2);
        if (end < 0) fail('unterminated processing instruction');
        i = end + 2;
      } else if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i + 4);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
      } else if (text.startsWith('<!', i)) {
        // a DOCTYPE could declare entities: refused rather than read past
        fail('a DTD or declaration is not accepted');
      } else {
        return;
      }
    }
  };
  const name = (): string => {
    NAME.lastIndex = i;
    const m = NAME.exec(text);
    if (m === null) return fail('expected a name');
    i += m[0].length;
    return m[0];
  };
  const decode = (raw: string): string =>
    raw.replace(/&([^;&\s]{0,10});/g, (_, ref: string) => {
      if (ref in PREDEFINED) return PREDEFINED[ref]!;
      const code = /^#x[0-9a-fA-F]{1,6}$/.test(ref)
        ? parseInt(ref.slice(2), 16)
        : /^#[0-9]{1,7}$/.test(ref)
          ? parseInt(ref.slice(1), 10)
          : NaN;
      if (!Number.isInteger(code) || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
        return fail(`unknown entity &${ref};`);
      }
      return String.fromCodePoint(code);
    });
  const element = (depth: number): XmlElement => {
    if (depth > MAX_XML_DEPTH) fail(`elements nested deeper than ${MAX_XML_DEPTH}`);
    if (text[i] !== '<') fail('expected an element');
    i++;
    const tag = name();
    // attributes: read past, values quoted
    for (;;) {
      while (i < text.length && /\s/.test(text[i]!)) i++;
      if (text.startsWith('/>', i)) {
        i += 2;
        return { name: tag, children: [], text: '' };
      }
      if (text[i] === '>') {
        i++;
        break;
      }
      name();
      while (/\s/.test(text[i] ?? '')) i++;
      if (text[i] !== '=') fail('expected = after an attribute name');
      i++;
      while (/\s/.test(text[i] ?? '')) i++;
      const quote = text[i];
      if (quote !== '"' && quote !== "'") return fail('expected a quoted attribute value');
      const end = text.indexOf(quote, i + 1);
      if (end < 0) fail('unterminated attribute value');
      i = end + 1;
    }
    const children: XmlElement[] = [];
    let own = '';
    for (;;) {
      const lt = text.indexOf('<', i);
      if (lt < 0) fail(`unterminated element <${tag}>`);
      own += decode(text.slice(i, lt));
      i = lt;
      if (text.startsWith('</', i)) {
        i += 2;
        const closing = name();
        if (closing !== tag) fail(`</${closing}> closes <${tag}>`);
        while (/\s/.test(text[i] ?? '')) i++;
        if (text[i] !== '>') fail('expected >');
        i++;
        return { name: tag, children, text: own };
      }
      if (text.startsWith('<![CDATA[', i)) {
        const end = text.indexOf(']]>', i + 9);
        if (end < 0) fail('unterminated CDATA section');
        own += text.slice(i + 9, end);
        i = end + 3;
      } else if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i + 4);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
      } else if (text.startsWith('<!', i) || text.startsWith('<?', i)) {
        fail('a declaration inside an element is not accepted');
      } else {
        children.push(element(depth + 1));
      }
    }
  };
  skipMisc();
  const root = element(1);
  skipMisc();
  if (i < text.length) fail('text after the root element');
  return root;
}

/** `&`, `<` and `>` escaped; characters XML 1.0 cannot carry at all replaced by U+FFFD. */
export function escapeXml(s: string): string {
  return (
    s
      .replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'))
      // eslint-disable-next-line no-control-regex -- the characters XML 1.0 cannot carry at all
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd')
  );
}
