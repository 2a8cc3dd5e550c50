package rdbinspect

import "fmt"

// Outcome is what a server does with a file, or with one record of it, at
// start-up.
type Outcome string

const (
	// Loads: the data is loaded as the file holds it.
	Loads Outcome = "loads"
	// LoadsChanged: the start succeeds but the server holds other data than
	// the file: a key skipped as empty, a TTL dropped, a list node left out.
	LoadsChanged Outcome = "loads-changed"
	// Refuses: the start stops with an error (exit 1).
	Refuses Outcome = "refuses"
	// Crashes: the server dies on an assertion or a panic while loading.
	Crashes Outcome = "crashes"
)

// worse orders outcomes by damage: a start that stops beats one that loads.
func (o Outcome) rank() int {
	switch o {
	case Crashes:
		return 3
	case Refuses:
		return 2
	case LoadsChanged:
		return 1
	}
	return 0
}

func worse(a, b Outcome) Outcome {
	if b.rank() > a.rank() {
		return b
	}
	return a
}

// LoadVerdict is what the target server does under each setting of
// sanitize-dump-payload, and what redis-check-rdb (which always sanitizes
// deeply) says. The other settings the prediction depends on (databases,
// loaded modules, the server version) come from Options.
type LoadVerdict struct {
	// Default is sanitize-dump-payload no, the default (also "clients", which
	// skips sanitization while loading a file).
	Default Outcome `json:"default"`
	// SanitizeYes is sanitize-dump-payload yes.
	SanitizeYes Outcome `json:"sanitize_yes"`
	// CheckRDB is redis-check-rdb's verdict: Loads means "RDB looks OK".
	CheckRDB Outcome `json:"redis_check_rdb"`
}

var (
	verdictAllLoad      = LoadVerdict{Loads, Loads, Loads}
	verdictAllRefuse    = LoadVerdict{Refuses, Refuses, Refuses}
	verdictSanitizeOnly = LoadVerdict{Loads, Refuses, Refuses}
	verdictEmptyKey     = LoadVerdict{LoadsChanged, LoadsChanged, Refuses}
	verdictServerOnly   = LoadVerdict{Refuses, Refuses, Loads}
	verdictChanged      = LoadVerdict{LoadsChanged, LoadsChanged, Loads}
	verdictDuplicateKey = LoadVerdict{Crashes, Crashes, Loads}
)

func (v LoadVerdict) merge(o LoadVerdict) LoadVerdict {
	return LoadVerdict{worse(v.Default, o.Default), worse(v.SanitizeYes, o.SanitizeYes), worse(v.CheckRDB, o.CheckRDB)}
}

// phrase words a verdict for a finding's message.
func (v LoadVerdict) phrase() string {
	switch v {
	case verdictAllRefuse:
		return "refused at start by every setting and by redis-check-rdb"
	case verdictSanitizeOnly:
		return "loads with the default sanitize-dump-payload no, refused with yes and by redis-check-rdb"
	case verdictEmptyKey:
		return "the server skips the key with either sanitize-dump-payload setting (fewer keys than the file lists); redis-check-rdb refuses the file"
	case verdictServerOnly:
		return "refused at start by every setting; redis-check-rdb accepts it"
	case verdictChanged:
		return "the server loads it with other data than the file holds; redis-check-rdb accepts it"
	}
	return fmt.Sprintf("with sanitize-dump-payload no the server %s, with yes it %s; redis-check-rdb %s", v.Default, v.SanitizeYes, v.CheckRDB)
}

// CheckClass names a family of content checks, each mirroring one server
// rule; Report.Refusals gives the verdict per class.
type CheckClass string

const (
	ClassZiplist        CheckClass = "ziplist"             // ziplistValidateIntegrity (+ pair and dup checks on conversion)
	ClassListpackHeader CheckClass = "listpack-header"     // lpValidateIntegrity, shallow part
	ClassListpack       CheckClass = "listpack"            // lpValidateIntegrity deep, lpValidateIntegrityAndDups
	ClassIntset         CheckClass = "intset"              // intsetValidateIntegrity, shallow part
	ClassIntsetOrder    CheckClass = "intset-order"        // intsetValidateIntegrity deep: sorted, no duplicates
	ClassZipmap         CheckClass = "zipmap"              // zipmapValidateIntegrity and the conversion's dup check
	ClassStreamListpack CheckClass = "stream-listpack"     // streamValidateListpackIntegrity deep
	ClassStream         CheckClass = "stream"              // rdbLoadObject stream checks: node keys, groups, PELs, consumers
	ClassStreamPEL      CheckClass = "stream-pel-consumer" // deep-only: a PEL entry no consumer owns
	ClassDuplicate      CheckClass = "duplicate"           // duplicate members or fields in plain-encoded sets, zsets, hashes
	ClassDuplicateKey   CheckClass = "duplicate-key"       // a key name its database already holds (rdbLoad panics)
	ClassScore          CheckClass = "zset-score"          // a NaN or unreadable score
	ClassHashTTL        CheckClass = "hash-field-ttl"      // a hash field expire time beyond 2^48-1 (7.4)
	ClassEmptyKey       CheckClass = "empty-key"           // collections with no elements
	ClassQuicklist      CheckClass = "quicklist-node"      // a packed node left out because its header says it is empty
	ClassExpire         CheckClass = "expire"              // an expire the server reads as "no expiry"
	ClassModule         CheckClass = "module"              // module data of a module the server has not loaded
	ClassVersion        CheckClass = "version"             // an RDB version the target cannot read
	ClassObjectType     CheckClass = "object-type"         // an object type the target does not know
	ClassDatabase       CheckClass = "database"            // SELECTDB at or above the databases setting
)

// Refusal is one class of content check that failed, with the verdict of
// the target server on it.
type Refusal struct {
	Class   CheckClass  `json:"class"`
	Verdict LoadVerdict `json:"verdict"`
	// Records counts the records at fault; First is the offset of the first.
	Records int64 `json:"records"`
	First   int64 `json:"first_offset"`
}

// LoadedKeys counts the keys a start that loads the file ends up with.
type LoadedKeys struct {
	Default     int64 `json:"default"`
	SanitizeYes int64 `json:"sanitize_yes"`
}
