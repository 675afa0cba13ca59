// ecdsa_vectors.js — expected results for src/runtime/ecdsa.c (Substrate's secp256k1 host functions).
//
//   cd tests/gen/node && npm ci && node ecdsa_vectors.js   # writes tests/data/ecdsa_vectors.json
//
// The curve arithmetic (keys, signing, recovery) is @polkadot/util-crypto's pure-JS path, i.e.
// @noble/curves — independent of the libsecp256k1 that pvf links. On top of it this script states
// sp-io's rules explicitly (substrate/primitives/io/src/lib.rs and core/src/ecdsa.rs):
//
//   secp256k1_ecdsa_recover[_compressed] v1/v2 (65-byte r‖s‖v, 32-byte prehash):
//     id = v > 26 ? v - 27 : v; id > 3 → BadV (checked first)
//     v1: r, s read mod n (libsecp256k1 crate, parse_overflowing_slice)
//     v2: r ≥ n or s ≥ n → BadRS (rust-secp256k1 RecoverableSignature::from_compact)
//     then recovery; r = 0, s = 0, no point for x, or the point at infinity → BadSignature
//   ecdsa_verify v1 (Pair::verify_deprecated) / v2 (Pair::verify):
//     hash = blake2_256(msg); id = v (0..3 only, no 27/28); r, s as above (v2 overflow → false);
//     true iff recovery succeeds and the compressed key equals the 33 given bytes
//   ecdsa_verify_prehashed v1 (Pair::verify_prehashed): as verify v2 on the given hash
//
// In-range inputs are also checked against util-crypto's own secp256k1Verify / secp256k1Recover,
// both its JS path and its WASM path, and the script stops on any disagreement with the rules above.
// The WASM path is rust-secp256k1, the very library behind sp-io's version-2 functions, except that
// polkadot-js adds a check of its own refusing high-s signatures (ext_secp_recover in
// polkadot-js/wasm); Substrate has no such check, so high-s inputs are compared with the JS path only.
'use strict';

const fs = require('fs');
const path = require('path');
const {
  cryptoWaitReady, blake2AsU8a, secp256k1PairFromSeed, secp256k1Sign, secp256k1Recover,
  secp256k1Verify,
} = require('@polkadot/util-crypto');
const { u8aToHex, u8aEq } = require('@polkadot/util');

const OUT = path.join(__dirname, '..', '..', 'data', 'ecdsa_vectors.json');
const N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141n;
const P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2Fn;
const TWO256 = 1n << 256n;
const ONLY_JS = true;

const text = (s) => new TextEncoder().encode(s);
const be32 = (x) => {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--, x >>= 8n) out[i] = Number(x & 0xffn);
  return out;
};
const fromBe = (b) => b.reduce((acc, byte) => (acc << 8n) | BigInt(byte), 0n);
const sigOf = (r, s, v) => Uint8Array.from([...be32(r), ...be32(s), v]);
const rOf = (sig) => fromBe(sig.subarray(0, 32));
const sOf = (sig) => fromBe(sig.subarray(32, 64));
const modpow = (b, e, m) => {
  let r = 1n;
  for (b %= m; e > 0n; e >>= 1n, b = (b * b) % m) if (e & 1n) r = (r * b) % m;
  return r;
};
// x is the x-coordinate of a curve point iff x³ + 7 is a square mod p (Euler's criterion).
const isXCoordinate = (x) => x < P && modpow((x * x * x + 7n) % P, (P - 1n) / 2n, P) === 1n;

// Recovery with in-range r, s (1..n-1) through noble; null where it fails (no point, infinity).
function recoverPoint(r, s, id, hash) {
  if (r === 0n || s === 0n) return null; // rejected by both libsecp256k1 implementations
  const sig = Uint8Array.from([...be32(r), ...be32(s)]);
  try {
    return {
      full: secp256k1Recover(hash, sig, id, 'keccak', ONLY_JS), // 64-byte x ‖ y
      compressed: secp256k1Recover(hash, sig, id, 'blake2', ONLY_JS),
    };
  } catch (e) {
    return null;
  }
}

// sp-io secp256k1_ecdsa_recover / _compressed, versions 1 and 2.
function hostRecover(version, sig, hash) {
  const id = sig[64] > 26 ? sig[64] - 27 : sig[64];
  if (id > 3) return { full: { err: 'BadV' }, compressed: { err: 'BadV' } };
  let r = rOf(sig);
  let s = sOf(sig);
  if (version === 1) {
    r %= N;
    s %= N;
  } else if (r >= N || s >= N) {
    return { full: { err: 'BadRS' }, compressed: { err: 'BadRS' } };
  }
  const pt = recoverPoint(r, s, id, hash);
  if (!pt) return { full: { err: 'BadSignature' }, compressed: { err: 'BadSignature' } };
  return { full: { ok: u8aToHex(pt.full) }, compressed: { ok: u8aToHex(pt.compressed) } };
}

// sp-core Signature::recover_prehashed + comparison, with v1's overflowing parse.
function verifyHash(version, sig, hash, pub) {
  if (sig.length !== 65 || pub.length !== 33 || sig[64] > 3) return false;
  let r = rOf(sig);
  let s = sOf(sig);
  if (version === 1) {
    r %= N;
    s %= N;
  } else if (r >= N || s >= N) {
    return false;
  }
  const pt = recoverPoint(r, s, sig[64], hash);
  return pt !== null && u8aEq(pt.compressed, pub);
}

// util-crypto's own verification for inputs where it applies: 65 bytes, v 0..3, r and s in
// 1..n-1, 33-byte key (WASM: low s only). It must agree with the rules.
const inRange = (sig) => rOf(sig) > 0n && rOf(sig) < N && sOf(sig) > 0n && sOf(sig) < N;
const implementations = (sig) => (sOf(sig) > N / 2n ? [true] : [true, false]);

function crossCheck(name, sig, msg, pub, expected) {
  if (sig.length !== 65 || pub.length !== 33 || sig[64] > 3 || !inRange(sig)) return;
  for (const onlyJs of implementations(sig)) {
    let got;
    try {
      got = secp256k1Verify(msg, sig, pub, 'blake2', onlyJs);
    } catch (e) {
      got = false;
    }
    if (got !== expected) {
      throw new Error(`${name}: util-crypto (${onlyJs ? 'JS' : 'WASM'}) says ${got}, rules say ${expected}`);
    }
  }
}

// The same for recovery: util-crypto's secp256k1Recover against the version-2 rule.
function crossCheckRecover(name, sig, hash, expected) {
  const id = sig[64] > 26 ? sig[64] - 27 : sig[64];
  if (id > 3 || !inRange(sig)) return;
  for (const onlyJs of implementations(sig)) {
    let got;
    try {
      got = { ok: u8aToHex(secp256k1Recover(hash, sig.subarray(0, 64), id, 'keccak', onlyJs)) };
    } catch (e) {
      got = { err: 'BadSignature' };
    }
    if (got.ok !== expected.ok || got.err !== expected.err) {
      throw new Error(`${name}: util-crypto (${onlyJs ? 'JS' : 'WASM'}) recovers ${JSON.stringify(got)}, `
        + `rules say ${JSON.stringify(expected)}`);
    }
  }
}

function main() {
  const recover = [];
  const verify = [];
  const prehashed = [];

  const addRecover = (name, sig, hash) => {
    const v1 = hostRecover(1, sig, hash);
    const v2 = hostRecover(2, sig, hash);
    crossCheckRecover(name, sig, hash, v2.full);
    recover.push({
      name, sig: u8aToHex(sig), msg_hash: u8aToHex(hash),
      v1: v1.full, v1_compressed: v1.compressed, v2: v2.full, v2_compressed: v2.compressed,
    });
  };
  const addVerify = (name, sig, msg, pub) => {
    const v1 = verifyHash(1, sig, blake2AsU8a(msg, 256), pub);
    const v2 = verifyHash(2, sig, blake2AsU8a(msg, 256), pub);
    crossCheck(name, sig, msg, pub, v2);
    verify.push({ name, sig: u8aToHex(sig), msg: u8aToHex(msg), pub: u8aToHex(pub), v1, v2 });
  };
  const addPrehashed = (name, sig, hash, pub) => {
    prehashed.push({
      name, sig: u8aToHex(sig), msg_hash: u8aToHex(hash), pub: u8aToHex(pub),
      ok: verifyHash(2, sig, hash, pub),
    });
  };

  // Keys and ordinary (low-s, RFC 6979) signatures.
  const pairs = [0, 1, 2, 3].map((i) => secp256k1PairFromSeed(blake2AsU8a(text(`pvf ecdsa key ${i}`), 256), ONLY_JS));
  const messages = [
    new Uint8Array(0), text('a'), text('pvf host function test message'),
    Uint8Array.from({ length: 1000 }, (_, i) => (i * 13) & 0xff),
  ];
  const signed = [];
  pairs.forEach((pair, k) => messages.forEach((msg, m) => {
    const sig = secp256k1Sign(msg, pair, 'blake2', ONLY_JS);
    const hash = blake2AsU8a(msg, 256);
    signed.push({ k, m, pair, msg, sig, hash });
    addRecover(`valid key${k} msg${m}`, sig, hash);
    addVerify(`valid key${k} msg${m}`, sig, msg, pair.publicKey);
    addPrehashed(`valid key${k} msg${m}`, sig, hash, pair.publicKey);
  }));

  const { pair, msg, sig, hash } = signed[2];
  const other = signed[7];
  const r = rOf(sig);
  const s = sOf(sig);
  const v = sig[64];
  const pub = pair.publicKey;
  if (!(r < N - 1n && s < N / 2n)) throw new Error('expected an ordinary low-s signature');

  // --- recovery: v ---
  addRecover('v + 27', sigOf(r, s, v + 27), hash);
  addRecover('other parity', sigOf(r, s, v ^ 1), hash);
  addRecover('other parity + 27', sigOf(r, s, (v ^ 1) + 27), hash);
  addRecover('v | 2 (r + n is not below p)', sigOf(r, s, v | 2), hash);
  addRecover('v | 2 + 27', sigOf(r, s, (v | 2) + 27), hash);
  for (const bad of [4, 5, 26, 31, 32, 127, 128, 255]) addRecover(`v = ${bad}`, sigOf(r, s, bad), hash);
  addRecover('v = 255 with r = 0 (BadV first)', sigOf(0n, s, 255), hash);

  // --- recovery: s ---
  addRecover('high s, flipped v', sigOf(r, N - s, v ^ 1), hash);
  addRecover('high s, same v', sigOf(r, N - s, v), hash);
  addRecover('high s + 27', sigOf(r, N - s, (v ^ 1) + 27), hash);
  addRecover('s = 0', sigOf(r, 0n, v), hash);
  addRecover('s = n', sigOf(r, N, v), hash);
  addRecover('s = n + 1', sigOf(r, N + 1n, v), hash);
  addRecover('s = 2^256 - 1', sigOf(r, TWO256 - 1n, v), hash);
  addRecover('s = 1', sigOf(r, 1n, v), hash);
  addRecover('s = n - 1', sigOf(r, N - 1n, v), hash);

  // --- recovery: r ---
  addRecover('r = 0', sigOf(0n, s, v), hash);
  addRecover('r = 0, s = 0', sigOf(0n, 0n, v), hash);
  addRecover('r = n', sigOf(N, s, v), hash);
  // n + r does not fit in 32 bytes for an ordinary r: its low 256 bits are another in-range r.
  addRecover('r = (n + r) mod 2^256', sigOf((N + r) % TWO256, s, v), hash);
  addRecover('r = 2^256 - 1', sigOf(TWO256 - 1n, s, v), hash);
  addRecover('r = 2^256 - 1, v | 2', sigOf(TWO256 - 1n, s, v | 2), hash);
  let notX = 1n;
  while (isXCoordinate(notX)) notX++;
  addRecover(`r = ${notX} (no point has this x)`, sigOf(notX, s, v), hash);
  let isX = 1n;
  while (!isXCoordinate(isX)) isX++;
  addRecover(`r = ${isX} (a point has this x)`, sigOf(isX, s, 0), hash);
  addRecover(`r = ${isX}, odd y`, sigOf(isX, s, 1), hash);

  // --- recovery: message hash ---
  const flipped = hash.slice();
  flipped[31] ^= 1;
  addRecover('other hash', sig, flipped);
  addRecover('hash = 0', sig, new Uint8Array(32));
  addRecover('hash = 2^256 - 1 (>= n, reduced)', sig, new Uint8Array(32).fill(0xff));
  addRecover('hash = n (reduces to 0)', sig, be32(N));

  // --- recovery ids 2 and 3 that work: R with x = n + t < p, so r = t ---
  let t = 1n;
  while (!isXCoordinate(N + t)) t++;
  const smallS = 0x1234567890abcdefn;
  for (const id of [2, 3]) {
    addRecover(`x >= n: r = ${t}, v = ${id}`, sigOf(t, smallS, id), hash);
    addRecover(`x >= n: r = ${t}, v = ${id + 27}`, sigOf(t, smallS, id + 27), hash);
    addRecover(`x >= n: r = n + ${t} (overflowing), v = ${id}`, sigOf(N + t, smallS, id), hash);
    addRecover(`x >= n: s = n + s (overflowing), v = ${id}`, sigOf(t, N + smallS, id), hash);
  }
  addRecover(`x >= n: r = ${t}, v = 0 (x = ${t})`, sigOf(t, smallS, 0), hash);

  // --- recovery that lands on the point at infinity: R = kG, e = s·k ---
  const k = 7n;
  const R = secp256k1PairFromSeed(be32(k), ONLY_JS).publicKey;
  const rInf = fromBe(R.subarray(1)) % N;
  const sInf = 5n;
  addRecover('point at infinity (e = s*k)', sigOf(rInf, sInf, R[0] - 2), be32((sInf * k) % N));
  addRecover('point at infinity, other parity', sigOf(rInf, sInf, 3 - R[0]), be32((sInf * k) % N));

  // --- verify ---
  addVerify('wrong message', sig, text('another message'), pub);
  addVerify('wrong key', sig, msg, other.pair.publicKey);
  addVerify('key with flipped parity byte', sig, msg, Uint8Array.from([pub[0] ^ 1, ...pub.subarray(1)]));
  addVerify('key all zero', sig, msg, new Uint8Array(33));
  addVerify('v + 27 (not accepted by verify)', sigOf(r, s, v + 27), msg, pub);
  addVerify('other parity', sigOf(r, s, v ^ 1), msg, pub);
  addVerify('v | 2', sigOf(r, s, v | 2), msg, pub);
  addVerify('v = 4', sigOf(r, s, 4), msg, pub);
  addVerify('high s, flipped v', sigOf(r, N - s, v ^ 1), msg, pub);
  addVerify('high s, same v', sigOf(r, N - s, v), msg, pub);
  addVerify('r = 0', sigOf(0n, s, v), msg, pub);
  addVerify('s = 0', sigOf(r, 0n, v), msg, pub);
  addVerify('r = n', sigOf(N, s, v), msg, pub);
  addVerify('s = n', sigOf(r, N, v), msg, pub);
  addVerify('s = 2^256 - 1', sigOf(r, TWO256 - 1n, v), msg, pub);
  addVerify(`r = ${notX} (no point)`, sigOf(notX, s, v), msg, pub);
  addVerify('signature 64 bytes', sig.subarray(0, 64), msg, pub);
  addVerify('signature 66 bytes', Uint8Array.from([...sig, 0]), msg, pub);
  addVerify('signature empty', new Uint8Array(0), msg, pub);
  addVerify('key 32 bytes', sig, msg, pub.subarray(1));
  addVerify('key 34 bytes', sig, msg, Uint8Array.from([...pub, 0]));
  addVerify('key 65 bytes (uncompressed form)', sig, msg,
    Uint8Array.from([4, ...secp256k1Recover(hash, sig.subarray(0, 64), v, 'keccak', ONLY_JS)]));

  // A message whose blake2 hash is signed with x >= n: overflowing r or s verify only in v1.
  const craftMsg = text('recovery id 2');
  const craftHash = blake2AsU8a(craftMsg, 256);
  const craftSig = sigOf(t, smallS, 2);
  const crafted = recoverPoint(t, smallS, 2, craftHash);
  if (!crafted) throw new Error('crafted recovery failed');
  addVerify('x >= n, v = 2', craftSig, craftMsg, crafted.compressed);
  addVerify('x >= n, r = n + r', sigOf(N + t, smallS, 2), craftMsg, crafted.compressed);
  addVerify('x >= n, s = n + s', sigOf(t, N + smallS, 2), craftMsg, crafted.compressed);
  addVerify('x >= n, v = 29', sigOf(t, smallS, 29), craftMsg, crafted.compressed);
  addVerify('x >= n, v = 0', sigOf(t, smallS, 0), craftMsg, crafted.compressed);

  // --- verify_prehashed ---
  addPrehashed('wrong hash', sig, flipped, pub);
  addPrehashed('v + 27', sigOf(r, s, v + 27), hash, pub);
  addPrehashed('high s, flipped v', sigOf(r, N - s, v ^ 1), hash, pub);
  addPrehashed('r = n', sigOf(N, s, v), hash, pub);
  addPrehashed('x >= n, v = 2', craftSig, craftHash, crafted.compressed);
  addPrehashed('x >= n, r = n + r', sigOf(N + t, smallS, 2), craftHash, crafted.compressed);
  addPrehashed('signature 64 bytes', sig.subarray(0, 64), hash, pub);
  addPrehashed('key 32 bytes', sig, hash, pub.subarray(1));

  // Guard against a generator that expects nothing: each outcome must occur.
  const outcomes = new Set(recover.flatMap((x) => [x.v1, x.v2].map((o) => o.err || 'ok')));
  for (const need of ['ok', 'BadV', 'BadRS', 'BadSignature']) {
    if (!outcomes.has(need)) throw new Error(`no recover vector gives ${need}`);
  }
  if (!verify.some((x) => x.v1 && !x.v2)) throw new Error('no verify vector separates v1 from v2');

  const doc = {
    description: 'Substrate secp256k1 host functions (sp-io crypto): recover[_compressed] v1/v2, '
      + 'ecdsa_verify v1/v2, ecdsa_verify_prehashed. Generated by tests/gen/node/ecdsa_vectors.js '
      + '(@polkadot/util-crypto / @noble/curves; rules in the script header).',
    recover,
    verify,
    verify_prehashed: prehashed,
  };
  fs.writeFileSync(OUT, JSON.stringify(doc, null, 1) + '\n');
  console.log(`wrote ${recover.length} recover, ${verify.length} verify, ${prehashed.length} prehashed vectors`);
}

cryptoWaitReady().then(main).then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
