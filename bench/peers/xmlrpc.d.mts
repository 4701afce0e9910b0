// Types of xmlrpc.mjs, for its unit test (test/unit/bench/peers-xmlrpc.test.ts).
export function encodeCall(method: string, params?: readonly (string | number | boolean)[]): string;
export function decodeResponse(xml: string): unknown;
export function callUnix(
  socketPath: string,
  method: string,
  params?: readonly (string | number | boolean)[],
): Promise<unknown>;
