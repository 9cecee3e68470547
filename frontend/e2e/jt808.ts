/**
 * The terminal's side of JT/T 808 (2013 header) for the browser tests: frames are built byte for byte
 * as a BeiDou terminal sends them and spoken over TCP to the gateway of the backend under test.
 *
 * Frame: 0x7e | msg id WORD | properties WORD (body length) | phone BCD[6] | serial WORD | body | XOR | 0x7e,
 * with 0x7d → 0x7d 0x01 and 0x7e → 0x7d 0x02 inside the flags. Texts are GBK.
 */
import { connect, type Socket } from 'node:net';

export const FLAG = 0x7e;

export const MessageId = {
  TERMINAL_RESPONSE: 0x0001,
  REGISTRATION: 0x0100,
  AUTHENTICATION: 0x0102,
  LOCATION: 0x0200,
  PLATFORM_RESPONSE: 0x8001,
  REGISTRATION_RESPONSE: 0x8100,
} as const;

/** Status bits of a 0x0200 report. */
export const STATUS_ACC_ON = 1 << 0;
export const STATUS_POSITIONED = 1 << 1;
export const STATUS_SOUTH = 1 << 2;
export const STATUS_WEST = 1 << 3;

// -- GBK ---------------------------------------------------------------------------------------------

let gbkTable: Map<string, number> | null = null;

/** GBK bytes of a text; the table is the inverse of the runtime's own GBK decoder. */
export function gbk(text: string): Uint8Array {
  if (gbkTable === null) {
    const decoder = new TextDecoder('gbk', { fatal: false });
    gbkTable = new Map();
    for (let lead = 0x81; lead <= 0xfe; lead++) {
      for (let trail = 0x40; trail <= 0xfe; trail++) {
        if (trail === 0x7f) continue;
        const char = decoder.decode(Uint8Array.of(lead, trail));
        if (char.length === 1 && char !== '\ufffd' && !gbkTable.has(char)) gbkTable.set(char, (lead << 8) | trail);
      }
    }
  }
  const out: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code < 0x80) {
      out.push(code);
      continue;
    }
    const pair = gbkTable.get(char);
    if (pair === undefined) throw new Error(`${JSON.stringify(char)} has no GBK encoding`);
    out.push(pair >> 8, pair & 0xff);
  }
  return Uint8Array.from(out);
}

function fixed(text: string, width: number): Uint8Array {
  const raw = gbk(text);
  if (raw.length > width) throw new Error(`${JSON.stringify(text)} is longer than ${width} bytes`);
  const out = new Uint8Array(width);
  out.set(raw);
  return out;
}

// -- framing -----------------------------------------------------------------------------------------

/** XOR of all bytes: the check code of an unescaped header and body. */
export function checksum(data: Uint8Array): number {
  return data.reduce((x, b) => x ^ b, 0);
}

export function escape(content: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (const b of content) {
    if (b === 0x7d) out.push(0x7d, 0x01);
    else if (b === 0x7e) out.push(0x7d, 0x02);
    else out.push(b);
  }
  return Uint8Array.from(out);
}

export function unescape(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (b === 0x7d && i + 1 < data.length) {
      const next = data[++i]!;
      out.push(next === 0x01 ? 0x7d : next === 0x02 ? 0x7e : next);
    } else out.push(b);
  }
  return Uint8Array.from(out);
}

/** The terminal phone number as BCD[6] (left-padded with zeros). */
export function bcdPhone(phone: string): Uint8Array {
  if (!/^\d{1,12}$/.test(phone)) throw new Error(`phone ${JSON.stringify(phone)} does not fit BCD[6]`);
  return Buffer.from(phone.padStart(12, '0'), 'hex');
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

function words(...values: number[]): Uint8Array {
  const out = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => out.writeUInt16BE(v & 0xffff, i * 2));
  return out;
}

/** A complete escaped 2013 frame. */
export function encodeFrame(phone: string, msgId: number, body: Uint8Array, serial: number): Uint8Array {
  if (body.length > 0x3ff) throw new Error(`body of ${body.length} bytes needs sub-packaging`);
  const content = concat(words(msgId, body.length), bcdPhone(phone), words(serial), body);
  return concat(Uint8Array.of(FLAG), escape(concat(content, Uint8Array.of(checksum(content)))), Uint8Array.of(FLAG));
}

export interface Message {
  msgId: number;
  phone: string;
  serial: number;
  body: Uint8Array;
}

/** Parses one frame (with or without its flags); throws on a bad check code or length. */
export function decodeFrame(frame: Uint8Array): Message {
  let inner = frame;
  if (inner[0] === FLAG) inner = inner.subarray(1);
  if (inner[inner.length - 1] === FLAG) inner = inner.subarray(0, -1);
  const raw = Buffer.from(unescape(inner));
  if (raw.length < 13) throw new Error(`frame of ${raw.length} bytes is too short`);
  const content = raw.subarray(0, -1);
  if (checksum(content) !== raw[raw.length - 1]) throw new Error(`bad check code in ${raw.toString('hex')}`);
  const props = content.readUInt16BE(2);
  if (props & (1 << 13)) throw new Error('sub-packaged frames are not read here');
  const body = content.subarray(12);
  if (body.length !== (props & 0x3ff)) throw new Error(`body length ${body.length} ≠ ${props & 0x3ff}`);
  return {
    msgId: content.readUInt16BE(0),
    phone: content.subarray(4, 10).toString('hex'),
    serial: content.readUInt16BE(10),
    body: Uint8Array.from(body),
  };
}

// -- bodies ------------------------------------------------------------------------------------------

export interface Registration {
  province: number;
  city: number;
  maker: string; // BYTE[5]
  model: string; // BYTE[20]
  terminalId: string; // BYTE[7]
  plateColour: number;
  plate: string; // GBK
}

/** 0x0100 body in the 2013 layout. */
export function registrationBody(r: Registration): Uint8Array {
  return concat(
    words(r.province, r.city),
    fixed(r.maker, 5),
    fixed(r.model, 20),
    fixed(r.terminalId, 7),
    Uint8Array.of(r.plateColour),
    gbk(r.plate),
  );
}

/** 0x0102 body (2013): the authentication code. */
export function authenticationBody(code: string): Uint8Array {
  return gbk(code);
}

/** BCD[6] YYMMDDhhmmss of a moment in Beijing time (GMT+8). */
export function bcdTime(moment: Date): Uint8Array {
  const local = new Date(moment.getTime() + 8 * 3600_000);
  const year = local.getUTCFullYear();
  if (year < 2000 || year > 2099) throw new Error('JT/T 808 times cover 2000-2099');
  const two = (n: number) => String(n).padStart(2, '0');
  const digits = [year % 100, local.getUTCMonth() + 1, local.getUTCDate(), local.getUTCHours(), local.getUTCMinutes(), local.getUTCSeconds()]
    .map(two)
    .join('');
  return Buffer.from(digits, 'hex');
}

export interface Location {
  lat: number;
  lon: number;
  time: Date;
  speedKmh?: number;
  courseDeg?: number;
  altitudeM?: number;
  alarms?: number;
  status?: number;
  /** Additional items (id, value). */
  items?: [number, Uint8Array][];
}

/** 0x0200 body; the hemisphere bits of the status follow the signs of lat and lon. */
export function locationBody(l: Location): Uint8Array {
  const status = ((l.status ?? STATUS_POSITIONED) & ~(STATUS_SOUTH | STATUS_WEST)) | (l.lat < 0 ? STATUS_SOUTH : 0) | (l.lon < 0 ? STATUS_WEST : 0);
  const head = Buffer.alloc(22);
  head.writeUInt32BE((l.alarms ?? 0) >>> 0, 0);
  head.writeUInt32BE(status >>> 0, 4);
  head.writeUInt32BE(Math.round(Math.abs(l.lat) * 1e6), 8);
  head.writeUInt32BE(Math.round(Math.abs(l.lon) * 1e6), 12);
  head.writeUInt16BE(Math.max(0, Math.round(l.altitudeM ?? 0)), 16);
  head.writeUInt16BE(Math.round((l.speedKmh ?? 0) * 10), 18);
  head.writeUInt16BE(((Math.round(l.courseDeg ?? 0) % 360) + 360) % 360, 20);
  const items = (l.items ?? []).map(([id, value]) => concat(Uint8Array.of(id, value.length), value));
  return concat(head, bcdTime(l.time), ...items);
}

// -- a terminal over TCP -----------------------------------------------------------------------------

export interface Terminal {
  phone: string;
  /** Sends a message and resolves with the platform's answer to it (0x8001 or 0x8100). */
  request: (msgId: number, body: Uint8Array, timeoutMs?: number) => Promise<Message>;
  /** 0x0100 → 0x8100: the authentication code, or an error with the result. */
  register: (registration: Registration) => Promise<string>;
  /** 0x0102 → 0x8001: the result. */
  authenticate: (code: string) => Promise<number>;
  /** 0x0200 → 0x8001: the result. */
  report: (location: Location) => Promise<number>;
  close: () => void;
}

/** The result byte of a 0x8001 body (ack serial WORD, ack id WORD, result BYTE). */
function generalResult(message: Message): number {
  if (message.msgId !== MessageId.PLATFORM_RESPONSE) throw new Error(`expected 0x8001, got 0x${message.msgId.toString(16)}`);
  return message.body[4]!;
}

/** Opens a TCP connection to the gateway (retrying while it is not listening yet). */
export async function connectTerminal(host: string, port: number, phone: string, waitMs = 30_000): Promise<Terminal> {
  const deadline = Date.now() + waitMs;
  let socket: Socket;
  for (;;) {
    try {
      socket = await new Promise<Socket>((resolve, reject) => {
        const s = connect({ host, port }, () => {
          s.off('error', reject);
          resolve(s);
        });
        s.once('error', reject);
      });
      break;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`no JT/T 808 gateway on ${host}:${port}: ${(error as Error).message}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  let serial = 0;
  let pending = Buffer.alloc(0);
  const waiting = new Map<string, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  let closedError: Error | null = null;
  const fail = (error: Error) => {
    closedError ??= error;
    for (const w of waiting.values()) w.reject(error);
    waiting.clear();
  };

  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      const start = pending.indexOf(FLAG);
      if (start < 0) {
        pending = Buffer.alloc(0);
        return;
      }
      const end = pending.indexOf(FLAG, start + 1);
      if (end < 0) {
        pending = pending.subarray(start);
        return;
      }
      const frame = pending.subarray(start, end + 1);
      pending = pending.subarray(end + 1);
      if (frame.length <= 2) {
        // two adjacent flags: the second opens the next frame
        pending = Buffer.concat([Buffer.of(FLAG), pending]);
        continue;
      }
      const message = decodeFrame(frame);
      const body = Buffer.from(message.body);
      let key: string;
      if (message.msgId === MessageId.PLATFORM_RESPONSE) key = `${body.readUInt16BE(2)}:${body.readUInt16BE(0)}`;
      else if (message.msgId === MessageId.REGISTRATION_RESPONSE) key = `${MessageId.REGISTRATION}:${body.readUInt16BE(0)}`;
      else {
        // anything else the platform sends: acknowledge it as a terminal does (0x0001, result 0)
        const answer = concat(words(message.serial, message.msgId), Uint8Array.of(0));
        socket.write(encodeFrame(phone, MessageId.TERMINAL_RESPONSE, answer, serial++ & 0xffff));
        continue;
      }
      const w = waiting.get(key);
      waiting.delete(key);
      w?.resolve(message);
    }
  });
  socket.on('error', (error) => fail(error));
  socket.on('close', () => fail(new Error('the gateway closed the connection')));

  const request = (msgId: number, body: Uint8Array, timeoutMs = 15_000) =>
    new Promise<Message>((resolve, reject) => {
      if (closedError) return reject(closedError);
      const own = serial++ & 0xffff;
      const key = `${msgId}:${own}`;
      const timer = setTimeout(() => {
        waiting.delete(key);
        reject(new Error(`no answer to 0x${msgId.toString(16).padStart(4, '0')} #${own} within ${timeoutMs} ms`));
      }, timeoutMs);
      waiting.set(key, {
        resolve: (m) => (clearTimeout(timer), resolve(m)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      socket.write(encodeFrame(phone, msgId, body, own));
    });

  return {
    phone,
    request,
    async register(registration) {
      const answer = await request(MessageId.REGISTRATION, registrationBody(registration));
      const body = Buffer.from(answer.body);
      const result = body[2];
      if (result !== 0) throw new Error(`registration refused with result ${result}`);
      return body.subarray(3).toString('latin1');
    },
    async authenticate(code) {
      return generalResult(await request(MessageId.AUTHENTICATION, authenticationBody(code)));
    },
    async report(location) {
      return generalResult(await request(MessageId.LOCATION, locationBody(location), 30_000));
    },
    close() {
      socket.destroy();
    },
  };
}
