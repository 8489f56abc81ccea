// Package auth owns rxlab's API tokens, roles and the one permission table.
//
// A token is 32 random bytes shown once, as "rx_" followed by base64url. The
// store keeps only its SHA-256 (key tok/<hash>) with the token's id, role,
// name and state, plus tokid/<id> → hash for revocation by id. Every API
// request presents a token as "Authorization: Bearer <token>"; Verify turns
// it into a Principal whose role is checked against the permission table
// (Allowed) before any resolver runs.
//
// A request presents its token as "Authorization: Bearer <token>" (the
// scheme is case-insensitive, RFC 6750). Malformed, unknown and revoked
// tokens take the same path through Verify (hash, one lookup, one decode)
// and the API answers them alike. FailureLimiter counts failed attempts per
// client address (an IPv6 client by its /64): after a few free ones the
// client waits, the wait doubling per failure up to a cap; the table is an
// LRU bounded in size, and entries are forgotten after a quiet period.
//
// Roles: admin, designer (trial design: aggregate cohort counts), pharmacologist
// (dosing, simulation, training, molecules), chemist (molecules and models) and
// clinician (patient-level reads and imports).
package auth
