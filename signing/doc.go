// Package signing signs outgoing webhook requests per the Standard Webhooks
// specification (https://www.standardwebhooks.com, spec/standard-webhooks.md,
// version 1.0.0), symmetric scheme "v1", and verifies such signatures for
// receivers and tests. Signing is opt-in: nothing here runs unless a caller
// builds a [Signer].
//
// The promises:
//
//   - The scheme: a request carries webhook-id (the message id, the same on
//     every retry), webhook-timestamp (integer unix seconds of the attempt)
//     and webhook-signature, a space-separated list of "v1,<sig>" where sig
//     is the standard, padded base64 of HMAC-SHA256(key, "<id>.<ts>.<body>").
//     The body is signed as the exact bytes given; the caller must send
//     those same bytes.
//   - Secrets: "whsec_<base64>" is the spec's serialization and the key is
//     the decoded bytes (standard alphabet, padded or not). Any other
//     string is used as the key byte for byte. The official libraries
//     instead base64-decode an unprefixed string too, so give a receiver
//     that uses them the whsec_ form. A secret may not be empty.
//   - Rotation: a [Signer] with several secrets emits one signature per
//     secret, in the order given; [Verify] accepts a request when any v1
//     signature matches any of its secrets, and ignores other versions
//     (such as v1a) so it stays forward compatible.
//   - Replay window: [Verify] rejects a timestamp more than the tolerance
//     before or after now, and compares signatures in constant time.
//   - Secrets never leak: errors name a bad secret by its index, and a
//     Signer prints as its secret count only.
//   - No global state: a Signer is immutable after [NewSigner] and safe for
//     concurrent use.
//
// The spec asks that the message id not be user controlled, or at least
// hold no '.', which would make the signed content ambiguous. This package
// signs whatever id it is given; checking it is the caller's job.
package signing
