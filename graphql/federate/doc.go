// Package federate answers a cohort count across several rxlab sites
// without moving patient-level data: a coordinator sends each site the
// same criteria through the site's own GraphQL cohortCount, with a token
// the site issued for the coordinator, and adds up what the sites release.
//
// Each site's disclosure layer decides what it releases for that token's
// role (an exact count, a noisy count, or "suppressed" below its
// threshold); the coordinator never sees more. A site that errs, refuses or
// does not answer within the per-site timeout is named in the answer with
// its status and left out of the total, never silently dropped. Fan-out is
// bounded (Config.Concurrency sites at once), answers are read through a
// size limit, and the sites file is parsed with limits on its size and the
// number of sites.
package federate
