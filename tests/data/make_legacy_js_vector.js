// Regenerates the vault's test vectors with Node's crypto, independently of Python:
//  - legacy_js_vector.json: an API key encrypted exactly as the original JavaScript Task
//    Master did it (AES-256-GCM, 12-byte IV, no setAAD, utf8 plaintext, no key id).
//  - vault_v1_vector.json: the task_master_llm format (same cipher, associated data
//    "task_master_llm:<recordId>:<field>", key id = HMAC-SHA256(key, "task_master_llm key
//    id v1") truncated to 16 hex chars), pinning the format so it cannot drift.
// Keys and IVs are fixed so the output is deterministic. Run: node make_legacy_js_vector.js
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

// Test-only key: never use it for real data.
const keyHex = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const ivHex = 'cafebabefacedbaddecaf888';
const plaintext = 'sk-legacy-js-TEST-0123456789-\u00fcn\u00efc\u00f8d\u00e9';

const cipher = crypto.createCipheriv('aes-256-gcm', Buffer.from(keyHex, 'hex'), Buffer.from(ivHex, 'hex'));
const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
const tag = cipher.getAuthTag();

const vector = {
  description: 'Node crypto.createCipheriv("aes-256-gcm") without setAAD, as the JavaScript Task Master stored encryptedApiKey/apiKeyNonce/apiKeyTag',
  generator: `node ${process.version} tests/data/make_legacy_js_vector.js`,
  key_hex: keyHex,
  nonce_hex: ivHex,
  ciphertext_hex: ciphertext.toString('hex'),
  tag_hex: tag.toString('hex'),
  plaintext: plaintext,
};
fs.writeFileSync(path.join(__dirname, 'legacy_js_vector.json'), JSON.stringify(vector, null, 2) + '\n');

// The task_master_llm v1 format, built the same way but with associated data.
const v1KeyHex = '8f0e1d2c3b4a59687766554433221100ffeeddccbbaa99887766554433221100';
const v1IvHex = '0123456789abcdef01234567';
const v1RecordId = '65f0c0ffee0000000000abcd';
const v1Field = 'apiKey';
const v1Plaintext = 'sk-v1-TEST-abcdefghijklmnop-\u00e9';
const v1Cipher = crypto.createCipheriv('aes-256-gcm', Buffer.from(v1KeyHex, 'hex'), Buffer.from(v1IvHex, 'hex'));
v1Cipher.setAAD(Buffer.from(`task_master_llm:${v1RecordId}:${v1Field}`, 'utf8'));
const v1Ciphertext = Buffer.concat([v1Cipher.update(v1Plaintext, 'utf8'), v1Cipher.final()]);
const v1Vector = {
  description: 'task_master_llm vault format v1, built with Node crypto (AES-256-GCM with associated data)',
  generator: `node ${process.version} tests/data/make_legacy_js_vector.js`,
  key_hex: v1KeyHex,
  key_id: crypto.createHmac('sha256', Buffer.from(v1KeyHex, 'hex')).update('task_master_llm key id v1').digest('hex').slice(0, 16),
  record_id: v1RecordId,
  field: v1Field,
  nonce_hex: v1IvHex,
  ciphertext_hex: v1Ciphertext.toString('hex'),
  tag_hex: v1Cipher.getAuthTag().toString('hex'),
  plaintext: v1Plaintext,
};
fs.writeFileSync(path.join(__dirname, 'vault_v1_vector.json'), JSON.stringify(v1Vector, null, 2) + '\n');
