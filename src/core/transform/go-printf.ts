import { RuleFailure } from './transform-error.js';

/**
 * Go's fmt.Sprintf for the values a template has (strings, numbers, booleans, string maps, nothing), with
 * Go's in-band error forms (`%!d(string=x)`, `%!s(MISSING)`, `%!(EXTRA ...)`) rather than exceptions, as
 * Go's printf does. Width and precision are bounded by `cap` so a format cannot allocate past the output cap.
 * Followed: Go's src/fmt/print.go and format.go (verbs v s q d t x X o b c e E f F g G, flags + - # 0 space).
 */
export function goSprintf(format: string, args: readonly unknown[], cap: number): string {
  let out = '';
  let argi = 0;
  let i = 0;
  while (i < format.length) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    if (i >= format.length) {
      out += '%!(NOVERB)';
      break;
    }
    const flags = { plus: false, minus: false, sharp: false, zero: false, space: false };
    for (; i < format.length; i++) {
      const c = format[i];
      if (c === '+') flags.plus = true;
      else if (c === '-') flags.minus = true;
      else if (c === '#') flags.sharp = true;
      else if (c === '0') flags.zero = true;
      else if (c === ' ') flags.space = true;
      else break;
    }
    let prec: number | undefined;
    const num = () => {
      const m = /^\d+/.exec(format.slice(i));
      if (!m) return undefined;
      i += m[0].length;
      const n = Number(m[0]);
      if (n > cap)
        throw new RuleFailure(`template function printf: width or precision ${n} exceeds ${cap} bytes`);
      return n;
    };
    const width = num();
    if (format[i] === '.') {
      i++;
      prec = num() ?? 0;
    }
    const verb = format[i];
    i++;
    if (verb === undefined) {
      out += '%!(NOVERB)';
      break;
    }
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const arg = args[argi++];
    out += pad(
      formatOne(verb, arg, flags, prec),
      width,
      flags.minus,
      flags.zero && !flags.minus && isNum(arg),
    );
    if (out.length > cap) throw new RuleFailure(`template function printf: result exceeds ${cap} bytes`);
  }
  if (argi < args.length) {
    out += `%!(EXTRA ${args
      .slice(argi)
      .map((a) => `${goType(a)}=${plain(a)}`)
      .join(', ')})`;
  }
  return out;
}

const isNum = (v: unknown): v is number => typeof v === 'number';

function goType(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (v === undefined || v === null) return '<nil>';
  return 'map[string]string';
}

/** `%v` */
function plain(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const m = v as Record<string, unknown>;
  return `map[${Object.keys(m)
    .sort()
    .map((k) => `${k}:${plain(m[k])}`)
    .join(' ')}]`;
}

function bad(verb: string, v: unknown): string {
  return `%!${verb}(${goType(v)}=${plain(v)})`;
}

function sign(n: number, s: string, flags: { plus: boolean; space: boolean }): string {
  if (n < 0 || Object.is(n, -0)) return s;
  return flags.plus ? `+${s}` : flags.space ? ` ${s}` : s;
}

function exp(n: number, prec: number, upper: boolean): string {
  const [m, e] = n.toExponential(prec).split('e') as [string, string];
  const en = Number(e);
  const s = `${m}e${en < 0 ? '-' : '+'}${String(Math.abs(en)).padStart(2, '0')}`;
  return upper ? s.toUpperCase() : s;
}

function formatOne(
  verb: string,
  v: unknown,
  flags: { plus: boolean; sharp: boolean; space: boolean },
  prec: number | undefined,
): string {
  if (v === undefined || v === null) v = ''; // a missing key is the empty string (see template-engine.ts)
  switch (verb) {
    case 'v':
      if (isNum(v)) return sign(v, String(v), flags);
      return plain(v);
    case 's':
      if (typeof v === 'string') return prec === undefined ? v : v.slice(0, prec);
      if (typeof v === 'object') return plain(v);
      return bad(verb, v);
    case 'q':
      if (typeof v === 'string') return JSON.stringify(v);
      if (isNum(v) && Number.isInteger(v)) return `'${String.fromCodePoint(v)}'`;
      return bad(verb, v);
    case 't':
      return typeof v === 'boolean' ? String(v) : bad(verb, v);
    case 'd':
      return isNum(v) && Number.isInteger(v) ? sign(v, String(v), flags) : bad(verb, v);
    case 'b':
    case 'o':
    case 'x':
    case 'X': {
      const radix = verb === 'b' ? 2 : verb === 'o' ? 8 : 16;
      let s: string;
      if (isNum(v) && Number.isInteger(v)) s = Math.abs(v).toString(radix);
      else if (typeof v === 'string' && radix === 16) s = Buffer.from(v, 'utf8').toString('hex');
      else return bad(verb, v);
      if (flags.sharp) s = (radix === 16 ? '0x' : radix === 8 ? '0' : '0b') + s;
      if (verb === 'X') s = s.toUpperCase();
      return isNum(v) ? sign(v, v < 0 ? `-${s}` : s, flags) : s;
    }
    case 'c':
      return isNum(v) && Number.isInteger(v) && v >= 0 && v <= 0x10ffff
        ? String.fromCodePoint(v)
        : bad(verb, v);
    case 'e':
    case 'E':
      return isNum(v) ? sign(v, exp(v, prec ?? 6, verb === 'E'), flags) : bad(verb, v);
    case 'f':
    case 'F':
      return isNum(v) ? sign(v, v.toFixed(prec ?? 6), flags) : bad(verb, v);
    case 'g':
    case 'G': {
      if (!isNum(v)) return bad(verb, v);
      let s = prec === undefined ? String(v) : Number(v.toPrecision(Math.max(prec, 1))).toString();
      s = s.replace(/e([+-])(\d)$/, 'e$10$2');
      return sign(v, verb === 'G' ? s.toUpperCase() : s, flags);
    }
    default:
      return bad(verb, v);
  }
}

function pad(s: string, width: number | undefined, left: boolean, zero: boolean): string {
  if (width === undefined || s.length >= width) return s;
  if (left) return s.padEnd(width, ' ');
  if (zero) {
    const m = /^([+\- ]?)(.*)$/.exec(s)!;
    return m[1] + m[2]!.padStart(width - m[1]!.length, '0');
  }
  return s.padStart(width, ' ');
}
