import assert from 'node:assert/strict'
import { it } from 'node:test'
import { isJsonMediaType, parseMediaType } from './media-type.ts'

it('accepts application/json with parameters, in any case', () => {
  for (const h of [
    'application/json',
    'Application/JSON',
    'application/json; charset=utf-8',
    'application/json;charset="UTF-8"',
    'application/json ; charset=utf-8; q="a;b\\"c"',
    'application/json;',
  ]) {
    assert.equal(isJsonMediaType(h), true, h)
  }
  assert.deepEqual(parseMediaType('application/json ; charset=utf-8; q="a;b\\"c"'), {
    essence: 'application/json',
    params: { charset: 'utf-8', q: 'a;b"c' },
  })
})

it('refuses other types, whatever their parameters say', () => {
  for (const h of [
    undefined,
    '',
    'text/plain; charset=application/json',
    'text/plain;application/json',
    'application/x-www-form-urlencoded; a=application/json',
    'multipart/form-data; boundary=application/json',
    'application/json-patch+json',
    'application/jsonp',
    'text/plain, application/json',
    'application/json, text/plain',
    'application /json',
    'application/json; charset',
    'application/json; charset="utf-8',
    'application/json; charset=utf-8 x',
    '/json',
    'application/',
  ]) {
    assert.equal(isJsonMediaType(h), false, String(h))
  }
})
