package finding

// Codes of the manifest inspector. Conditions on which Redis refuses to
// start are errors; hazards a start would not report are warnings; facts
// worth knowing are information.
var (
	// The loader's own refusals (src/aof.c aofLoadManifestFromFile).
	ManifestTooLongLine      = define("manifest-too-long-line", Error, "a manifest line is 1024 bytes or longer, contains a NUL byte, or the last line has no newline: Redis refuses the manifest")
	ManifestInvalidFormat    = define("manifest-invalid-format", Error, "a manifest line is blank, badly quoted, has fewer than 6 or an odd number of tokens, or lacks file, seq (non-zero) or type: Redis refuses the manifest")
	ManifestFileIsPath       = define("manifest-file-is-path", Error, "a file name in the manifest contains '/' or '\\': Redis refuses the manifest")
	ManifestDuplicateBase    = define("manifest-duplicate-base", Error, "the manifest lists a second base file: Redis refuses the manifest")
	ManifestNonMonotonicIncr = define("manifest-non-monotonic-incr", Error, "an incr file's seq is not greater than the previous incr's (or not positive): Redis refuses the manifest")
	ManifestUnknownType      = define("manifest-unknown-type", Error, "a manifest line's type does not start with b, h or i (case-sensitive): Redis refuses the manifest")
	ManifestEmpty            = define("manifest-empty", Error, "the manifest file has no bytes at all: Redis refuses it (redis-check-aof wrongly accepts it)")
	ManifestNotRegular       = define("manifest-not-regular", Error, "the manifest name is a directory or other non-regular file: Redis treats it as missing, recreates the AOF set and dies renaming its temp manifest")

	// The directory behind the manifest.
	ManifestMissingFile    = define("manifest-missing-file", Error, "a base or incr file the manifest lists does not exist: Redis refuses to start")
	ManifestFileNotRegular = define("manifest-file-not-regular", Error, "a base or incr file the manifest lists is a directory, FIFO, device or socket: Redis cannot load it")
	ManifestUnsafeName     = define("manifest-unsafe-name", Error, "a listed name is empty, '.' or '..': it passes the parser but names a directory, so loading fails; aoftool never opens it")
	ManifestBadContent     = define("manifest-bad-content", Error, "a listed base or incr file starts with neither an RDB magic nor a RESP command or annotation: Redis stops with a bad file format")
	ManifestRDBLoadedTwice = define("manifest-rdb-loaded-twice", Error, "the same RDB-content file is listed twice for loading and holds keys or functions: Redis aborts on the duplicated key")
	ManifestEmptyFile      = define("manifest-empty-file", Info, "a listed file has 0 bytes, which Redis loads as an empty part")
	ManifestAllEmpty       = define("manifest-all-empty", Info, "every file Redis would load has 0 bytes: it starts with an empty dataset")
	ManifestOrphanFile     = define("manifest-orphan-file", Warning, "a file in the AOF directory is not in the manifest; Redis 7.x neither loads nor removes it")
	ManifestHistoryOnDisk  = define("manifest-history-on-disk", Info, "a history file is still on disk; Redis deletes it and its line at the next start (unless aof-disable-auto-gc yes)")
	ManifestHistoryEntry   = define("manifest-history-entry", Info, "the manifest holds a history line whose file is already gone; Redis drops the line at the next start")
	ManifestHNamesLiveFile = define("manifest-h-names-live-file", Error, "a history line names a file that is also the live base or incr, or the next one Redis would create: the start-up clean-up deletes live data and the following start fails")
	ManifestSuffixMismatch = define("manifest-suffix-mismatch", Info, "a base file's suffix (.rdb or .aof) does not match its content; Redis detects the format by content, so it loads")
	ManifestMultipleIncr   = define("manifest-multiple-incr", Warning, "the manifest lists two or more incr files: rewrites started and never finished (redis/redis#10549); every listed incr is loaded, none is safe to delete")
	ManifestDuplicateName  = define("manifest-duplicate-name", Warning, "the same file name is listed on more than one line; an incr with commands loaded twice applies them twice (an error then: the server holds other data than was written)")
	ManifestNameMismatch   = define("manifest-name-mismatch", Warning, "a listed name is not shaped <appendfilename>.<seq>.base.rdb|base.aof|incr.aof, or its number or kind differs from the line's seq or type")
	ManifestNextNameExists = define("manifest-next-name-exists", Warning, "an unlisted file already has the name Redis will give the next base or incr it creates at start, so Redis overwrites or appends to it")
	ManifestNoEntries      = define("manifest-no-entries", Warning, "the manifest has comment lines only: Redis starts empty and rewrites it with a new base 1 and incr 1")
	ManifestAbsent         = define("manifest-absent", Info, "there is no manifest: Redis starts with an empty dataset (or upgrades a legacy appendonly.aof) and creates base 1 and incr 1")
	ManifestAbsentSetFound = define("manifest-absent-files-present", Error, "there is no manifest but AOF set files are present: Redis starts empty, overwrites base 1 and appends to incr 1, losing the old data without an error")
	ManifestNotRewritable  = define("manifest-name-not-rewritable", Error, "Redis would write this line back (at its next manifest update) in a form its own loader refuses, such as a name with a single quote written unquoted: the start after that fails")
	ManifestUppercaseKey   = define("manifest-uppercase-key", Info, "a manifest key is not lower-case; Redis accepts it, redis-check-aof does not recognise the file as a manifest")
	ManifestUnknownKey     = define("manifest-unknown-key", Info, "a manifest line carries key/value pairs Redis ignores")
	ManifestRepeatedKey    = define("manifest-repeated-key", Info, "a key appears twice on one manifest line; the last value wins")
	ManifestNegativeSeq    = define("manifest-negative-seq", Warning, "a base or history line has a negative seq; Redis accepts it, but the next base it creates gets an odd number")
	ManifestSeqNotNumber   = define("manifest-seq-not-number", Warning, "a seq value is not a plain decimal number; Redis reads its leading digits with atoll")
	ManifestLegacyIgnored  = define("legacy-aof-present", Warning, "a legacy single-file appendonly.aof is in the data directory; Redis upgrades it at start only when no base or incr is listed, otherwise ignores it")
)
