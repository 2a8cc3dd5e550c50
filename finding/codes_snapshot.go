package finding

// Codes raised while capturing, importing, loading and comparing snapshots.
var (
	ListingGarbageLine      = define("listing-garbage-line", Warning, "a line of a pasted ls listing is neither an entry, a directory header nor a total line; it was skipped")
	ListingSizeApproximate  = define("listing-size-approximate", Info, "a listing shows human-readable sizes (ls -h); sizes are known only within the bounds the rounding implies")
	ListingYearInferred     = define("listing-year-inferred", Info, "a listing shows dates without a year (ls -l for recent files); the year was inferred from the reference time")
	ListingNoEntries        = define("listing-no-entries", Warning, "a pasted listing holds no file entry")
	ListingDuplicateEntry   = define("listing-duplicate-entry", Warning, "a listing shows the same path twice; the last line wins")
	SnapshotSchemaUnsupport = define("snapshot-schema-unsupported", Error, "a saved snapshot has a schema number newer than this aoftool understands")
	SnapshotHeaderUnread    = define("snapshot-header-unreadable", Warning, "the first bytes of an artifact could not be read; its content kind is unknown")
	SnapshotManifestSkipped = define("snapshot-manifest-too-large", Warning, "a file named like an AOF manifest is far larger than any manifest Redis writes; it was not parsed")
	WatchUntilTimeout       = define("watch-until-timeout", Error, "aoftool watch --until did not see the awaited phase before --timeout")
	SnapshotTooManyEntries  = define("snapshot-too-many-entries", Warning, "a directory holds more entries than a snapshot records; the rest were skipped")
)
