// Runs Virgil's JavaScript SDK for the Go tests. Reads a JSON array of
// requests on standard input and writes a JSON array of results, one per
// request, to standard output.
//
//   {"op": "verify", "token", "publicKey", "appKeyId", "now"?}
//     -> {"valid", "identity", "appId", "ada", "iat", "exp", "expired"}
//   {"op": "mint", "privateKey", "appKeyId", "appId", "identity", "ada"?,
//    "ttlMs", "now"?}
//     -> {"token"}
//
// "now" is a Unix time in seconds; it fixes the SDK's clock for that request.
// A request that throws yields {"error": message} instead.
'use strict';

const { initCrypto, VirgilCrypto, VirgilAccessTokenSigner } = require('virgil-crypto');
const { Jwt, JwtGenerator, JwtVerifier } = require('virgil-sdk');

const RealDate = Date;

function withClock(now, fn) {
  if (now === undefined) {
    return fn();
  }
  const fixed = now * 1000;
  class FixedDate extends RealDate {
    constructor(...args) {
      super(...(args.length ? args : [fixed]));
    }
    static now() {
      return fixed;
    }
  }
  global.Date = FixedDate;
  try {
    return fn();
  } finally {
    global.Date = RealDate;
  }
}

function verify(crypto, signer, req) {
  const jwt = Jwt.fromString(req.token);
  const verifier = new JwtVerifier({
    apiPublicKey: crypto.importPublicKey({ value: req.publicKey, encoding: 'base64' }),
    apiKeyId: req.appKeyId,
    accessTokenSigner: signer,
  });
  const at = req.now === undefined ? new Date() : new Date(req.now * 1000);
  return {
    valid: verifier.verifyToken(jwt),
    identity: jwt.identity(),
    appId: jwt.appId(),
    ada: jwt.body.ada === undefined ? null : jwt.body.ada,
    iat: jwt.body.iat,
    exp: jwt.body.exp,
    expired: jwt.isExpired(at),
  };
}

function mint(crypto, signer, req) {
  const generator = new JwtGenerator({
    appId: req.appId,
    apiKey: crypto.importPrivateKey({ value: req.privateKey, encoding: 'base64' }),
    apiKeyId: req.appKeyId,
    accessTokenSigner: signer,
    millisecondsToLive: req.ttlMs,
  });
  const ada = req.ada === null ? undefined : req.ada;
  return { token: withClock(req.now, () => generator.generateToken(req.identity, ada).toString()) };
}

async function main() {
  let input = '';
  for await (const chunk of process.stdin) {
    input += chunk;
  }
  await initCrypto();
  const crypto = new VirgilCrypto();
  const signer = new VirgilAccessTokenSigner(crypto);
  const ops = { verify, mint };

  const results = JSON.parse(input).map((req) => {
    try {
      const op = ops[req.op];
      if (!op) {
        throw new Error(`unknown op ${JSON.stringify(req.op)}`);
      }
      return op(crypto, signer, req);
    } catch (e) {
      return { error: String(e && e.message ? e.message : e) };
    }
  });
  process.stdout.write(JSON.stringify(results));
}

main().catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exit(1);
});
