import { decodeTime, isValid } from 'ulid';
import { newUlid } from '../../db/ids';

it('makes valid ULIDs of this moment, none repeated, across many refills of the random pool', () => {
  const before = Date.now();
  const ids = Array.from({ length: 5_000 }, () => newUlid());
  const after = Date.now();
  expect(ids.every((id) => isValid(id))).toBe(true);
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids.every((id) => decodeTime(id) >= before && decodeTime(id) <= after)).toBe(true);
  // Every character of the 32-letter alphabet shows up in the random parts (16 characters an id).
  expect(new Set(ids.flatMap((id) => [...id.slice(10)])).size).toBe(32);
});
