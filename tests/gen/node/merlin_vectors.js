// merlin_vectors.js — Merlin transcript / STROBE-128 vectors for src/runtime/merlin.c.
//
//   cd tests/gen/node && npm ci && node merlin_vectors.js   # writes tests/data/merlin_vectors.tsv
//
// The oracle is @scure/sr25519's Strobe128 and Merlin classes (exported as `__tests`; an
// independent JS implementation, the one util-crypto's sr25519 uses). The script first checks
// them against the two published Merlin vectors (merlin's `equivalence_simple`, as printed in
// gtank/merlin and curve25519-voi: d5a21972…; and the 32-round `complex` transcript: a8c933f5…).
//
// The file is a list of small programs, one per case, one operation a line (hex fields may be
// empty):
//   case      NAME
//   merlin    LABEL                      new transcript
//   append    LABEL  MESSAGE             append_message
//   u64       LABEL  DECIMAL             append_u64 (= append_message of the 8-byte LE value)
//   challenge LABEL  LEN  EXPECTED       challenge_bytes, compare
//   strobe    PROTOCOL_LABEL             bare STROBE-128 object
//   meta_ad | ad | key   DATA  MORE       STROBE operations (MORE = 0/1)
//   prf       LEN  MORE  EXPECTED         STROBE PRF, compare
'use strict';

const fs = require('fs');
const path = require('path');
const { u8aToHex } = require('@polkadot/util');
const { __tests: { Merlin, Strobe128 } } = require('@scure/sr25519');

const OUT = path.join(__dirname, '..', '..', 'data', 'merlin_vectors.tsv');
const hex = (u8) => u8aToHex(u8).slice(2);
const text = (s) => new TextEncoder().encode(s);

function bytes(seed, len) {
  const out = new Uint8Array(len);
  let x = (0x6a09e667 ^ Math.imul(seed + 1, 0x85ebca6b)) >>> 0;
  for (let i = 0; i < len; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

function le64(v) {
  const out = new Uint8Array(8);
  for (let i = 0; i < 8; i++) { out[i] = Number(v & 0xffn); v >>= 8n; }
  return out;
}

function publishedVectors() {
  const t = new Merlin('test protocol');
  t.appendMessage('some label', 'some data');
  const simple = hex(t.challengeBytes('challenge', 32));
  if (simple !== 'd5a21972d0d5fe320c0d263fac7fffb8145aa640af6e9bca177c03c7efcf0615') throw new Error('simple');
  const c = new Merlin('test protocol');
  c.appendMessage('step1', 'some data');
  const data = new Uint8Array(1024).fill(99);
  let chl;
  for (let i = 0; i < 32; i++) {
    chl = c.challengeBytes('challenge', 32);
    c.appendMessage('bigdata', data);
    c.appendMessage('challengedata', chl);
  }
  if (hex(chl) !== 'a8c933f54fae76e3f9bea93648c1308e7dfa2152dd51674ff3ca438351cf003c') throw new Error('complex');
}

const lines = [];

// A recorder that mirrors every operation into `lines` as it runs it on the oracle.
class MerlinCase {
  constructor(name, label) {
    lines.push(`case\t${name}`);
    this.t = new Merlin(label);
    lines.push(`merlin\t${hex(text(label))}`);
  }
  append(label, msg) {
    this.t.appendMessage(label, msg);
    lines.push(`append\t${hex(text(label))}\t${hex(msg)}`);
  }
  u64(label, v) {
    this.t.appendMessage(label, le64(v));
    lines.push(`u64\t${hex(text(label))}\t${v}`);
  }
  challenge(label, len) {
    const out = this.t.challengeBytes(label, len);
    lines.push(`challenge\t${hex(text(label))}\t${len}\t${hex(out)}`);
    return out;
  }
}

class StrobeCase {
  constructor(name, label) {
    lines.push(`case\t${name}`);
    this.s = new Strobe128(label);
    lines.push(`strobe\t${hex(text(label))}`);
  }
  metaAD(data, more) { this.s.metaAD(data, more); lines.push(`meta_ad\t${hex(data)}\t${more ? 1 : 0}`); }
  AD(data, more) { this.s.AD(data, more); lines.push(`ad\t${hex(data)}\t${more ? 1 : 0}`); }
  KEY(data, more) { this.s.KEY(data, more); lines.push(`key\t${hex(data)}\t${more ? 1 : 0}`); }
  PRF(len, more) {
    const out = this.s.PRF(len, more);
    lines.push(`prf\t${len}\t${more ? 1 : 0}\t${hex(out)}`);
    return out;
  }
}

function cases() {
  let m = new MerlinCase('published_simple', 'test protocol');
  m.append('some label', text('some data'));
  m.challenge('challenge', 32);

  // Message lengths around the STROBE rate (166 bytes) and its multiples.
  [0, 1, 2, 100, 150, 151, 152, 165, 166, 167, 200, 331, 332, 333, 600].forEach((len, i) => {
    m = new MerlinCase(`message_len_${len}`, 'lengths');
    m.append('msg', bytes(i, len));
    m.challenge('c', 32);
  });
  // Challenge lengths.
  [0, 1, 31, 64, 150, 165, 166, 167, 332, 400].forEach((len) => {
    m = new MerlinCase(`challenge_len_${len}`, 'challenges');
    m.append('seed', text('x'));
    m.challenge('out', len);
    m.challenge('again', 16);
  });
  // Labels: empty, long (crosses the rate inside meta-AD).
  m = new MerlinCase('empty_labels', '');
  m.append('', new Uint8Array(0));
  m.challenge('', 32);
  m = new MerlinCase('long_label', 'L'.repeat(200));
  m.append('l'.repeat(170), text('data'));
  m.challenge('c'.repeat(180), 48);
  // append_u64.
  m = new MerlinCase('append_u64', 'numbers');
  for (const v of [0n, 1n, 0x0123456789abcdefn, 0xffffffffffffffffn]) {
    m.u64('n', v);
    m.challenge('c', 8);
  }
  // Interleaving, as a protocol does (schnorrkel's signing transcript shape, context "substrate").
  m = new MerlinCase('signing_context_shape', 'SigningContext');
  m.append('', text('substrate'));
  m.append('sign-bytes', bytes(99, 77));
  m.append('proto-name', text('Schnorr-sig'));
  m.append('sign:pk', bytes(98, 32));
  m.append('sign:R', bytes(97, 32));
  m.challenge('sign:c', 64);
  m = new MerlinCase('rounds', 'rounds');
  for (let i = 0; i < 6; i++) {
    const c = m.challenge('challenge', 32 + i * 40);
    m.append('bigdata', bytes(200 + i, 150 + i * 37));
    m.append('challengedata', c);
  }
  m.challenge('final', 32);

  // STROBE itself, including KEY and continued (`more`) operations: the shape of merlin's own
  // strobe.rs conformance test, and a few variations.
  let s = new StrobeCase('strobe_conformance', 'Conformance Test Protocol');
  s.metaAD(text('ms'), false);
  s.metaAD(text('g'), true);
  s.AD(new Uint8Array(1024).fill(99), false);
  s.metaAD(text('prf'), false);
  let prf = s.PRF(32, false);
  s.metaAD(text('key'), false);
  s.KEY(prf, false);
  s.metaAD(text('prf'), false);
  s.PRF(32, false);
  s = new StrobeCase('strobe_key_lengths', 'keys');
  [0, 1, 165, 166, 167, 400].forEach((len, i) => {
    s.metaAD(text('k'), false);
    s.KEY(bytes(300 + i, len), false);
    s.metaAD(text('p'), false);
    prf = s.PRF(24, false);
  });
  s = new StrobeCase('strobe_continued', 'more');
  s.AD(bytes(400, 100), false);
  s.AD(bytes(401, 100), true);
  s.PRF(10, false);
  s.PRF(200, true);
  s.metaAD(bytes(402, 3), false);
  s.metaAD(bytes(403, 300), true);
  s.PRF(16, false);
}

publishedVectors();
cases();
const header = [
  '# Merlin / STROBE-128 vectors, written by tests/gen/node/merlin_vectors.js from @scure/sr25519\'s',
  '# Merlin and Strobe128 (checked there against the published Merlin vectors). Format: see the script.',
];
fs.writeFileSync(OUT, header.concat(lines).join('\n') + '\n');
console.log(`wrote ${lines.filter((l) => l.startsWith('case')).length} cases to ${path.relative(process.cwd(), OUT)}`);
