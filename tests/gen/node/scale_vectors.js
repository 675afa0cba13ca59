#!/usr/bin/env node
// scale_vectors.js — SCALE test vectors from an independent implementation (polkadot.js).
//
//   cd tests/gen/node && npm ci && node scale_vectors.js
//
// Writes, under tests/data/:
//   executor_params.json    ExecutorParams lists: SCALE bytes, hash(), prep_hash()
//   scale_compact.json      compact integers at every mode boundary
//   validation_result.json  hand-made ValidationResults and their SCALE bytes
//   westend_commitments.json  the fields of the real Westend para 1000 CandidateCommitments
//
// Types come from @polkadot/types: ExecutorParams is the chain metadata's
// PolkadotPrimitivesV8ExecutorParams (from @polkadot/types-augment's lookup
// definitions), OutboundHrmpMessage and CandidateCommitments are polkadot.js's
// own definitions; ValidationResult is declared here from those pieces.
// Hashes: blake2AsU8a (@polkadot/util-crypto). hash() = BLAKE2b-256(encode(list));
// prep_hash() = BLAKE2b-256("prep" ++ encode(p) for p in list if p is MaxMemoryPages,
// StackLogicalMax or WasmExtBulkMemory) — polkadot-primitives' executor_params.rs.
'use strict';

const fs = require('fs');
const path = require('path');
const { TypeRegistry } = require('@polkadot/types');
const { u8aToHex, u8aConcat, stringToU8a, compactToU8a } = require('@polkadot/util');
const { blake2AsU8a, cryptoWaitReady } = require('@polkadot/util-crypto');
const lookup = require('@polkadot/types-augment/cjs/lookup/polkadot').default;

const OUT = path.resolve(__dirname, '../../data');
const TESTDATA = process.env.PVF_TESTDATA || path.resolve(__dirname, '../../../../shared/testdata');

const registry = new TypeRegistry();
registry.register(lookup);
registry.register({
    PvfValidationResult: {
        headData: 'Bytes',
        newValidationCode: 'Option<Bytes>',
        upwardMessages: 'Vec<Bytes>',
        horizontalMessages: 'Vec<OutboundHrmpMessage>',
        processedDownwardMessages: 'u32',
        hrmpWatermark: 'u32',
    },
});

function write(name, value) {
    fs.writeFileSync(path.join(OUT, name), JSON.stringify(value, null, 1) + '\n');
    console.log(`wrote tests/data/${name}`);
}

// ---------------------------------------------------------------- ExecutorParams

// One param in the human form of the C side ("MaxMemoryPages=8192") → polkadot.js value.
function toPolkadotJs(item) {
    const [name, value] = item.split('=');
    const [base, kind] = name.split('.');
    if (base === 'WasmExtBulkMemory') return { WasmExtBulkMemory: null };
    if (kind) return { [base]: [kind, value] };
    return { [base]: value };
}

const PARAM_LISTS = [
    '',
    'MaxMemoryPages=8192',
    'MaxMemoryPages=0',
    'MaxMemoryPages=4294967295',
    'StackLogicalMax=65536',
    'StackNativeMax=268435456',
    'PrecheckingMaxMemory=536870912',
    'PrecheckingMaxMemory=18446744073709551615',
    'PvfPrepTimeout.Precheck=60000',
    'PvfPrepTimeout.Prepare=360000',
    'PvfExecTimeout.Backing=2500',
    'PvfExecTimeout.Approval=15000',
    'WasmExtBulkMemory',
    // Paseo's active configuration (reference-behaviour.md §4.1)
    'MaxMemoryPages=8192,PvfExecTimeout.Backing=2500,PvfExecTimeout.Approval=15000',
    'PvfExecTimeout.Approval=15000,PvfExecTimeout.Backing=2500,MaxMemoryPages=8192',
    'MaxMemoryPages=8192,StackLogicalMax=65536,WasmExtBulkMemory',
    'WasmExtBulkMemory,StackLogicalMax=65536,MaxMemoryPages=8192',
    // the excluded params do not change prep_hash
    'MaxMemoryPages=8192,StackNativeMax=134217728,PrecheckingMaxMemory=1073741824,' +
        'PvfPrepTimeout.Precheck=50000,PvfPrepTimeout.Prepare=300000,' +
        'PvfExecTimeout.Backing=1500,PvfExecTimeout.Approval=9000',
    'StackNativeMax=134217728,MaxMemoryPages=8192',
    'MaxMemoryPages=1,StackLogicalMax=1024,StackNativeMax=131072,PrecheckingMaxMemory=268435456,' +
        'PvfPrepTimeout.Precheck=1,PvfPrepTimeout.Prepare=2,PvfExecTimeout.Backing=3,' +
        'PvfExecTimeout.Approval=4,WasmExtBulkMemory',
    // duplicates encode and hash like any list (check_consistency rejects them)
    'MaxMemoryPages=8192,MaxMemoryPages=4096',
    'WasmExtBulkMemory,WasmExtBulkMemory',
];

function executorParamsVectors() {
    return PARAM_LISTS.map((text) => {
        const items = text === '' ? [] : text.split(',');
        const ep = registry.createType('PolkadotPrimitivesV8ExecutorParams', items.map(toPolkadotJs));
        const bytes = ep.toU8a();
        const prep = [stringToU8a('prep')];
        for (const p of ep) {
            if (p.isMaxMemoryPages || p.isStackLogicalMax || p.isWasmExtBulkMemory) prep.push(p.toU8a());
        }
        // the round trip through polkadot.js must be exact, or the vector is wrong
        const back = registry.createType('PolkadotPrimitivesV8ExecutorParams', bytes);
        if (u8aToHex(back.toU8a()) !== u8aToHex(bytes)) throw new Error(`round trip: ${text}`);
        return {
            params: text,
            json: ep.toJSON(),
            scale: u8aToHex(bytes),
            hash: u8aToHex(blake2AsU8a(bytes, 256)),
            prep_hash: u8aToHex(blake2AsU8a(u8aConcat(...prep), 256)),
        };
    });
}

// ---------------------------------------------------------------- compact integers

function compactVectors() {
    const values = [0n, 1n, 63n, 64n, 16383n, 16384n, (1n << 30n) - 1n, 1n << 30n, (1n << 32n) - 1n,
        1n << 32n, (1n << 40n) - 1n, 1n << 40n, (1n << 48n) + 5n, (1n << 56n) - 1n, 1n << 56n,
        (1n << 64n) - 1n, 1n << 64n, (1n << 72n) + 1n, (1n << 120n) - 1n, 1n << 120n, (1n << 128n) - 1n];
    return values.map((v) => ({ value: v.toString(), scale: u8aToHex(compactToU8a(v)) }));
}

// ---------------------------------------------------------------- ValidationResult

function resultVectors() {
    const cases = [
        { name: 'empty', headData: '0x', newValidationCode: null, upwardMessages: [],
          horizontalMessages: [], processedDownwardMessages: 0, hrmpWatermark: 0 },
        { name: 'new code and messages', headData: '0x0102030405',
          newValidationCode: '0x0061736d01000000', upwardMessages: ['0x', '0xaa', '0x' + 'bb'.repeat(70)],
          horizontalMessages: [{ recipient: 2000, data: '0xdeadbeef' }, { recipient: 4294967295, data: '0x' }],
          processedDownwardMessages: 7, hrmpWatermark: 4294967295 },
        { name: 'empty new code', headData: '0x' + '11'.repeat(300), newValidationCode: '0x',
          upwardMessages: [], horizontalMessages: [{ recipient: 0, data: '0x' + '22'.repeat(64) }],
          processedDownwardMessages: 16384, hrmpWatermark: 123456 },
    ];
    return cases.map(({ name, ...fields }) => {
        const v = registry.createType('PvfValidationResult', fields);
        return {
            name,
            json: {
                head_data: v.headData.toHex(),
                new_validation_code: v.newValidationCode.isSome ? v.newValidationCode.unwrap().toHex() : null,
                upward_messages: v.upwardMessages.map((m) => m.toHex()),
                horizontal_messages: v.horizontalMessages.map((m) => ({
                    recipient: m.recipient.toNumber(), data: m.data.toHex() })),
                processed_downward_messages: v.processedDownwardMessages.toNumber(),
                hrmp_watermark: v.hrmpWatermark.toNumber(),
            },
            scale: u8aToHex(v.toU8a()),
        };
    });
}

// ---------------------------------------------------------------- Westend para 1000

function westendCommitments() {
    const file = path.join(TESTDATA, 'inputs/westend-para1000/westend_para1000_pending_commitments.scale');
    const bytes = fs.readFileSync(file);
    const c = registry.createType('CandidateCommitments', bytes);
    if (c.encodedLength !== bytes.length) throw new Error('CandidateCommitments: trailing bytes');
    return {
        source: 'inputs/westend-para1000/westend_para1000_pending_commitments.scale',
        upward_messages: c.upwardMessages.map((m) => m.toHex()),
        horizontal_messages: c.horizontalMessages.map((m) => ({
            recipient: m.recipient.toNumber(), data: m.data.toHex() })),
        new_validation_code: c.newValidationCode.isSome ? c.newValidationCode.unwrap().toHex() : null,
        head_data: c.headData.toHex(),
        processed_downward_messages: c.processedDownwardMessages.toNumber(),
        hrmp_watermark: c.hrmpWatermark.toNumber(),
    };
}

cryptoWaitReady().then(() => {
    write('executor_params.json', executorParamsVectors());
    write('scale_compact.json', compactVectors());
    write('validation_result.json', resultVectors());
    write('westend_commitments.json', westendCommitments());
});
