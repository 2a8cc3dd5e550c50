package serverlog

// Kind names an event in the domain's terms. Values are stable kebab-case
// identifiers (they appear in JSON).
type Kind string

// Server lifetime.
const (
	KindStarting       Kind = "starting"        // oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo
	KindVersion        Kind = "version"         // Redis version=..., pid=..., just started
	KindRunningMode    Kind = "running-mode"    // Running mode=standalone, port=6379. (or the logo)
	KindConfigLoaded   Kind = "config-loaded"   // Configuration loaded
	KindInitialized    Kind = "initialized"     // Server initialized
	KindReady          Kind = "ready"           // Ready to accept connections
	KindShutdownAsked  Kind = "shutdown-asked"  // User requested shutdown...
	KindShutdownSignal Kind = "shutdown-signal" // Received SIGTERM scheduling shutdown...
	KindShutdownSave   Kind = "shutdown-save"   // Saving the final RDB snapshot before exiting.
	KindShutdownRefuse Kind = "shutdown-refused"
	KindShutdownKill   Kind = "shutdown-kills-child" // There is a child saving an .rdb. Killing it!
	KindExit           Kind = "exit"                 // Redis is now ready to exit, bye bye...
	KindCrash          Kind = "crash"                // === REDIS BUG REPORT START
	KindCrashSignal    Kind = "crash-signal"         // Redis 7.0.15 crashed by signal: 11
	KindAssertion      Kind = "assertion"            // === ASSERTION FAILED ===
	KindCrashEnd       Kind = "crash-end"            // === REDIS BUG REPORT END
	KindFatalLoad      Kind = "fatal-load"           // Fatal error loading the DB: ... Exiting.
	KindOOM            Kind = "out-of-memory"        // Out Of Memory allocating N bytes!
)

// Replication, as a replica sees it.
const (
	KindConnecting      Kind = "repl-connecting"     // Connecting to MASTER host:port
	KindSyncStarted     Kind = "repl-sync-started"   // MASTER <-> REPLICA sync started
	KindPsyncTry        Kind = "repl-psync-try"      // Trying a partial resynchronization
	KindPsyncImpossible Kind = "repl-psync-no-cache" // Partial resynchronization not possible (no cached master)
	KindFullResync      Kind = "repl-full-resync"    // Full resync from master: <replid>:<offset>
	KindPsyncAccepted   Kind = "repl-psync-accepted" // Master accepted a Partial Resynchronization
	KindTransferDisk    Kind = "repl-transfer-disk"  // receiving <n> bytes from master to disk
	KindTransferParser  Kind = "repl-transfer-parser"
	KindStreamDisk      Kind = "repl-stream-disk" // receiving streamed RDB from master with EOF to disk
	KindStreamParser    Kind = "repl-stream-parser"
	KindDisklessSkipped Kind = "repl-diskless-load-skipped"
	KindReplicaKills    Kind = "repl-kills-child" // pending RDB child running. Killing process
	KindFlushing        Kind = "repl-flushing"    // Flushing old data
	KindDiscardOld      Kind = "repl-discard-old-db"
	KindSwapDB          Kind = "repl-swap-db"
	KindLoadingDB       Kind = "repl-loading" // Loading DB in memory
	KindSyncDone        Kind = "repl-sync-done"
	KindSyncLoadFailed  Kind = "repl-load-failed" // Failed trying to load the MASTER synchronization DB
	KindSyncFailed      Kind = "repl-sync-failed" // timeouts, I/O errors, refused handshakes
	KindSyncRetry       Kind = "repl-retry"       // Reconnecting / will try later
	KindAOFAfterSyncBad Kind = "repl-aof-enable-failed"
	KindMasterMode      Kind = "master-mode" // MASTER MODE enabled
	KindReplicaOf       Kind = "replicaof"   // REPLICAOF host:port enabled
)

// Replication, as a master sees it.
const (
	KindReplicaAsks     Kind = "serve-sync-request"   // Replica <addr> asks for synchronization
	KindServeFull       Kind = "serve-full-resync"    // Full resync requested by replica <addr>
	KindServePartial    Kind = "serve-partial-resync" // Partial resynchronization request from <addr> accepted
	KindServeBGSave     Kind = "serve-bgsave"         // Starting BGSAVE for SYNC with target: disk
	KindServeDone       Kind = "serve-sync-done"      // Synchronization with replica <addr> succeeded
	KindTransferStart   Kind = "rdb-transfer-start"   // Background RDB transfer started by pid
	KindTransferOK      Kind = "rdb-transfer-ok"
	KindTransferError   Kind = "rdb-transfer-error"
	KindTransferKilled  Kind = "rdb-transfer-killed"
	KindServeSyncFailed Kind = "serve-sync-failed"
)

// BGSAVE and SAVE.
const (
	KindSaveTrigger  Kind = "save-trigger"     // <n> changes in <s> seconds. Saving...
	KindBGSaveStart  Kind = "bgsave-start"     // Background saving started by pid <p>
	KindDBSaved      Kind = "db-saved"         // DB saved on disk (child, or the server for SAVE)
	KindBGSaveOK     Kind = "bgsave-ok"        // Background saving terminated with success
	KindBGSaveError  Kind = "bgsave-error"     // Background saving error
	KindBGSaveKilled Kind = "bgsave-killed"    // Background saving terminated by signal <n>
	KindSaveFailed   Kind = "save-write-error" // Write error saving DB on disk
	KindForkFailed   Kind = "fork-failed"
	KindChildCoW     Kind = "child-cow" // Fork CoW for RDB: current ... MB
	KindChildSIGUSR1 Kind = "child-sigusr1"
	// KindChildOrphaned: a fork child could not report to its parent,
	// which is gone (killed with no exit line), and exits.
	KindChildOrphaned Kind = "child-orphaned" // Child failed reporting info to parent, exiting. <errno>
)

// AOF rewrite.
const (
	KindRewriteAuto       Kind = "aof-rewrite-auto" // Starting automatic rewriting of AOF on <n>% growth
	KindRewriteScheduled  Kind = "aof-rewrite-scheduled"
	KindIncrOnRewrite     Kind = "aof-incr-on-rewrite"    // Creating AOF incr file <f> on background rewrite
	KindRewriteStart      Kind = "aof-rewrite-start"      // Background append only file rewriting started by pid <p>
	KindRewriteChildDone  Kind = "aof-rewrite-child-done" // Successfully created the temporary AOF base file (child)
	KindRewriteDiff       Kind = "aof-rewrite-diff"       // ≤6.2 parent/child diff exchange
	KindRewriteResidual   Kind = "aof-rewrite-residual"   // ≤6.2: Residual parent diff successfully flushed (installing)
	KindRewriteOK         Kind = "aof-rewrite-ok"         // Background AOF rewrite terminated with success
	KindBaseRenamed       Kind = "aof-base-renamed"
	KindIncrRenamed       Kind = "aof-incr-renamed"
	KindHistoryRemoved    Kind = "aof-history-removed"
	KindRewriteDone       Kind = "aof-rewrite-done" // Background AOF rewrite finished successfully
	KindRewriteError      Kind = "aof-rewrite-error"
	KindRewriteKilled     Kind = "aof-rewrite-killed" // terminated by signal <n>
	KindRewriteKill       Kind = "aof-rewrite-kill"   // Killing running AOF rewrite child: <p>
	KindTempIncrRemoved   Kind = "aof-temp-incr-removed"
	KindRewriteBackoff    Kind = "aof-rewrite-backoff"
	KindRewriteInstallErr Kind = "aof-rewrite-install-failed"
	KindAOFWriteError     Kind = "aof-write-error"
	KindAOFFsyncSlow      Kind = "aof-fsync-slow"
)

// AOF and RDB loading at start and after a sync.
const (
	KindAOFBaseCreated   Kind = "aof-base-created"  // Creating AOF base file <f> on server start
	KindAOFIncrCreated   Kind = "aof-incr-created"  // Creating AOF incr file <f> on server start
	KindAOFMigrated      Kind = "aof-migrated"      // Successfully migrated an old-style AOF file
	KindAOFIncrOpened    Kind = "aof-incr-opened"   // Opening AOF incr file <f> on server start
	KindAOFReadBase      Kind = "aof-read-rdb-base" // Reading RDB base file on AOF loading...
	KindAOFReadPreamble  Kind = "aof-read-preamble" // Reading RDB preamble from AOF file...
	KindAOFReadTail      Kind = "aof-read-tail"     // Reading the remaining AOF tail...
	KindAOFBaseLoaded    Kind = "aof-base-loaded"   // DB loaded from base file <f>: <s> seconds
	KindAOFIncrLoaded    Kind = "aof-incr-loaded"   // DB loaded from incr file <f>: <s> seconds
	KindAOFLoaded        Kind = "aof-loaded"        // DB loaded from append only file: <s> seconds
	KindRDBLoaded        Kind = "rdb-loaded"        // DB loaded from disk: <s> seconds
	KindAOFTruncating    Kind = "aof-truncating"    // !!! Truncating the AOF <f> at offset <n> !!!
	KindAOFShortRead     Kind = "aof-short-read"    // !!! Warning: short read while loading the AOF file
	KindAOFLoadedCut     Kind = "aof-loaded-truncated"
	KindAOFManifestErr   Kind = "aof-manifest-error" // *** FATAL AOF MANIFEST FILE ERROR ***
	KindAOFBadFormat     Kind = "aof-bad-format"     // Bad file format reading the append only file
	KindAOFUnexpectedEOF Kind = "aof-unexpected-eof"
	KindAOFUnrecoverable Kind = "aof-unrecoverable"
	KindAOFUnknownCmd    Kind = "aof-unknown-command"
	KindAOFRevertMulti   Kind = "aof-revert-multi"
	KindAOFMissing       Kind = "aof-missing"
	KindAOFOpenFailed    Kind = "aof-open-failed"
	KindRDBProducer      Kind = "rdb-producer" // Loading RDB produced by version <v>
	KindRDBAge           Kind = "rdb-age"      // RDB age <n> seconds
	KindRDBMemory        Kind = "rdb-memory"   // RDB memory usage when created <x> Mb
	KindRDBIsBase        Kind = "rdb-is-aof-base"
	KindRDBDone          Kind = "rdb-done"       // Done loading RDB, keys loaded: <n>, keys expired: <m>.
	KindRDBShortRead     Kind = "rdb-short-read" // Short read or OOM loading DB
	KindRDBChecksum      Kind = "rdb-bad-checksum"
	KindRDBVersion       Kind = "rdb-bad-version" // Can't handle RDB format version <n>
	KindRDBSignature     Kind = "rdb-bad-signature"
	KindRDBInternal      Kind = "rdb-read-error" // Internal error in RDB reading offset <n>
	KindRDBTerminating   Kind = "rdb-terminating"
)

// Derived kinds: not a log line, a conclusion the state draws (they appear
// in State.Failures).
const (
	// KindVanished: a new start came with no exit line for the previous
	// server (SIGKILL, the OOM killer, a node lost, or a log cut).
	KindVanished Kind = "server-vanished"
)

// Pattern is one wording of one event: the template (the server's format
// string with named fields, see template.go), and which servers word it so.
type Pattern struct {
	Kind     Kind
	Template string
	Versions string
}

// Patterns is the one table of wordings. Every line is checked against it;
// the wording comes from the sources of Redis 6.2.16, 7.0.15, 7.2.6, 7.4.1
// and Valkey 7.2.7, 8.0.1 (src/server.c, replication.c, rdb.c, aof.c,
// childinfo.c, debug.c at those tags). Order matters only among patterns
// with the same first word: the first full match wins.
var Patterns = []Pattern{
	// server.c main(), prepareForShutdown(), debug.c
	{KindStarting, "oO0OoO0OoO0Oo {server} is starting oO0OoO0OoO0Oo", "all (Valkey: 'Valkey is starting')"},
	{KindVersion, "{server} version={version}, bits={n}, commit={*}, modified={*}, pid={*}, just started", "all (Valkey: 'Valkey version=')"},
	{KindRunningMode, "Running mode={reason}, port={n}.", "all, when the logo is not shown"},
	{KindConfigLoaded, "Configuration loaded", "all"},
	{KindInitialized, "Server initialized", "all"},
	{KindReady, "Ready to accept connections {reason}", "7.2+, Valkey (tcp, unix, tls)"},
	{KindReady, "Ready to accept connections", "6.2, 7.0"},
	{KindReady, "The server is now ready to accept connections at {file}", "6.2, 7.0 (unix socket)"},
	{KindShutdownAsked, "User requested shutdown... (user request from {addr})", "Valkey 8+"},
	{KindShutdownAsked, "User requested shutdown...", "all"},
	{KindShutdownSignal, "Received SIGTERM scheduling shutdown...", "all (signal handler)"},
	{KindShutdownSignal, "Received SIGINT scheduling shutdown...", "all (signal handler)"},
	{KindShutdownSignal, "Received shutdown signal, scheduling shutdown...", "7.0+"},
	{KindShutdownSignal, "Received shutdown signal during loading, scheduling shutdown.", "7.0+"},
	{KindShutdownSignal, "Received shutdown signal during loading, exiting now.", "6.2"},
	{KindShutdownSave, "Saving the final RDB snapshot before exiting.", "all"},
	{KindShutdownRefuse, "Writing initial AOF, can't exit.", "all"},
	{KindShutdownRefuse, "Error trying to save the DB, can't exit.", "all"},
	{KindShutdownRefuse, "Writing initial AOF. Exit anyway.", "7.0+ (SHUTDOWN FORCE)"},
	{KindShutdownRefuse, "Error trying to save the DB. Exit anyway.", "7.0+ (SHUTDOWN FORCE)"},
	{KindShutdownKill, "There is a child saving an .rdb. Killing it!", "all"},
	{KindShutdownKill, "There is a child rewriting the AOF. Killing it!", "all"},
	{KindExit, "{server} is now ready to exit, bye bye...", "all"},
	{KindExit, "Sentinel is now ready to exit, bye bye...", "all"},
	{KindCrash, "=== REDIS BUG REPORT START: Cut & paste starting from here ===", "Redis, Valkey 7.2, Valkey 8 with extended-redis-compatibility"},
	{KindCrash, "=== VALKEY BUG REPORT START: Cut & paste starting from here ===", "Valkey 8+"},
	{KindCrashSignal, "{server} {version} crashed by signal: {signal}, si_code: {*}", "all"},
	{KindAssertion, "=== ASSERTION FAILED ===", "all (raw)"},
	{KindAssertion, "Guru Meditation: {reason}", "all (raw)"},
	{KindCrashEnd, "=== REDIS BUG REPORT END. Make sure to include from START to END. ===", "Redis, Valkey 7.2"},
	{KindCrashEnd, "=== VALKEY BUG REPORT END. Make sure to include from START to END. ===", "Valkey 8+"},
	{KindFatalLoad, "Fatal error loading the DB: {reason}. Exiting.", "6.2, 7.0"},
	{KindFatalLoad, "Fatal error loading the DB, check server logs. Exiting.", "7.2+, Valkey"},
	{KindOOM, "Out Of Memory allocating {bytes} bytes!", "all"},

	// replication.c, replica side
	{KindConnecting, "Connecting to {M} {addr}", "all (Valkey 8: PRIMARY)"},
	{KindSyncStarted, "{M} <-> REPLICA sync started", "all (Valkey 8: PRIMARY)"},
	{KindPsyncTry, "Trying a partial resynchronization (request {replid}:{offset}).", "all"},
	{KindPsyncImpossible, "Partial resynchronization not possible (no cached {m})", "all (Valkey 8: primary)"},
	{KindFullResync, "Full resync from {m}: {replid}:{offset}", "all (Valkey 8: primary)"},
	{KindPsyncAccepted, "{M} <-> REPLICA sync: {Mm} accepted a Partial Resynchronization.", "all (Valkey 8: PRIMARY/Primary)"},
	{KindPsyncAccepted, "Successful partial resynchronization with {m}.", "all"},
	{KindTransferDisk, "{M} <-> REPLICA sync: receiving {bytes} bytes from {m} to disk", "all"},
	{KindTransferParser, "{M} <-> REPLICA sync: receiving {bytes} bytes from {m} to parser", "6.0+"},
	{KindStreamDisk, "{M} <-> REPLICA sync: receiving streamed RDB from {m} with EOF to disk", "all"},
	{KindStreamParser, "{M} <-> REPLICA sync: receiving streamed RDB from {m} with EOF to parser", "6.0+"},
	{KindDisklessSkipped, "Skipping diskless-load because {reason}", "all"},
	{KindReplicaKills, "Replica is about to load the RDB file received from the {m}, but there is a pending RDB child running. Killing process {pid} and removing its temp file to avoid any race", "all"},
	{KindFlushing, "{M} <-> REPLICA sync: Flushing old data", "all"},
	{KindDiscardOld, "{M} <-> REPLICA sync: Discarding old DB in background", "7.0+"},
	{KindDiscardOld, "{M} <-> REPLICA sync: Discarding temporary DB in background", "7.0+ (swapdb load failed)"},
	{KindDiscardOld, "{M} <-> REPLICA sync: Discarding the half-loaded data", "Valkey 8+"},
	{KindSwapDB, "{M} <-> REPLICA sync: Swapping active DB with loaded DB", "7.0+"},
	{KindLoadingDB, "{M} <-> REPLICA sync: Loading DB in memory", "all"},
	{KindSyncDone, "{M} <-> REPLICA sync: Finished with success", "all"},
	{KindSyncLoadFailed, "Failed trying to load the {M} synchronization DB from disk, check server logs.", "7.2+, Valkey"},
	{KindSyncLoadFailed, "Failed trying to load the {M} synchronization DB from disk: {reason}", "7.0"},
	{KindSyncLoadFailed, "Failed trying to load the {M} synchronization DB from disk", "6.2"},
	{KindSyncLoadFailed, "Failed trying to load the {M} synchronization DB from socket, check server logs.", "7.2+, Valkey"},
	{KindSyncLoadFailed, "Failed trying to load the {M} synchronization DB from socket: {reason}", "7.0"},
	{KindSyncLoadFailed, "Failed trying to load the {M} synchronization DB from socket", "6.2"},
	{KindSyncFailed, "Timeout receiving bulk data from {M}... If the problem persists try to set the 'repl-timeout' parameter in {*}.conf to a larger value.", "all"},
	{KindSyncFailed, "Timeout connecting to the {M}...", "all"},
	{KindSyncFailed, "{M} timeout: no data nor PING received...", "all"},
	{KindSyncFailed, "I/O error trying to sync with {M}: {reason}", "all"},
	{KindSyncFailed, "I/O error reading bulk count from {M}: {reason}", "all"},
	{KindSyncFailed, "I/O error writing to {M}: {reason}", "all"},
	{KindSyncFailed, "Error condition on socket for SYNC: {reason}", "all"},
	{KindSyncFailed, "Unable to connect to {M}: {reason}", "all"},
	{KindSyncFailed, "{M} aborted replication with an error: {reason}", "all"},
	{KindSyncFailed, "Error reply to PING from {m}: {reason}", "all"},
	{KindSyncFailed, "Unexpected reply to PSYNC from {m}: {reason}", "all"},
	{KindSyncFailed, "Bad protocol from {M}, the first byte is not '$' (we received {reason}), are you sure the host and port are right?", "all"},
	{KindSyncFailed, "Opening the temp file needed for {M} <-> REPLICA synchronization: {reason}", "all"},
	{KindSyncFailed, "Write error or short write writing to the DB dump file needed for {M} <-> REPLICA synchronization: {reason}", "all"},
	{KindSyncFailed, "Failed trying to sync the temp DB to disk in {M} <-> REPLICA synchronization: {reason}", "all"},
	{KindSyncFailed, "Failed trying to rename the temp DB into {file} in {M} <-> REPLICA synchronization: {reason}", "all"},
	{KindSyncFailed, "Failed trying to sync DB directory {file} in {M} <-> REPLICA synchronization: {reason}", "7.0+"},
	{KindSyncFailed, "Replication stream EOF marker is broken", "all"},
	{KindSyncRetry, "Reconnecting to {M} {addr} after failure", "all"},
	{KindSyncRetry, "Reconnecting to {M} {addr}", "all"},
	{KindSyncRetry, "{Mm} did not reply to PSYNC, will try later", "7.0+"},
	{KindSyncRetry, "{Mm} is currently unable to PSYNC but should be in the future: {reason}", "all"},
	{KindAOFAfterSyncBad, "Failed enabling the AOF after successful {m} synchronization! Trying it again in one second.", "all"},
	{KindAOFAfterSyncBad, "FATAL: this replica instance finished the synchronization with its {m}, but the AOF can't be turned on. Exiting now.", "all"},
	{KindMasterMode, "{M} MODE enabled (user request from {addr})", "all (Valkey 8: PRIMARY)"},
	{KindMasterMode, "{M} MODE enabled (failover request from {addr})", "6.2+"},
	{KindReplicaOf, "REPLICAOF {addr} enabled (user request from {*})", "all"},

	// replication.c and rdb.c, master side
	{KindReplicaAsks, "Replica {addr} asks for synchronization", "all"},
	{KindServeFull, "Full resync requested by replica {addr}", "all"},
	{KindServePartial, "Partial resynchronization request from {addr} accepted. Sending {bytes} bytes of backlog starting from offset {offset}.", "all"},
	{KindServeBGSave, "Starting BGSAVE for SYNC with target: {reason}", "all (disk, replicas sockets)"},
	{KindServeDone, "Synchronization with replica {addr} succeeded", "all"},
	{KindServeDone, "Streamed RDB transfer with replica {addr} succeeded (socket). Waiting for REPLCONF ACK from {*} to enable streaming", "all"},
	{KindServeSyncFailed, "SYNC failed. BGSAVE child returned an error", "all"},
	{KindServeSyncFailed, "BGSAVE for replication failed", "all"},
	{KindServeSyncFailed, "Diskless rdb transfer, last replica dropped, killing fork child.", "6.0+"},
	{KindServeSyncFailed, "Disconnecting timedout replica (full sync): {addr}", "7.0+"},
	{KindServeSyncFailed, "Disconnecting timedout replica (streaming sync): {addr}", "7.0+"},
	{KindTransferStart, "Background RDB transfer started by pid {pid} to {reason}", "Valkey 8+"},
	{KindTransferStart, "Background RDB transfer started by pid {pid}", "all"},
	{KindTransferOK, "Background RDB transfer terminated with success", "all"},
	{KindTransferError, "Background transfer error", "Redis, Valkey 7.2"},
	{KindTransferError, "Background RDB transfer error", "Valkey 8+"},
	{KindTransferKilled, "Background transfer terminated by signal {signal}", "Redis, Valkey 7.2"},
	{KindTransferKilled, "Background RDB transfer terminated by signal {signal}", "Valkey 8+"},

	// rdb.c, server.c: saving
	{KindSaveTrigger, "{n} changes in {secs} seconds. Saving...", "all"},
	{KindBGSaveStart, "Background saving started by pid {pid}", "all"},
	{KindDBSaved, "DB saved on disk", "all"},
	{KindBGSaveOK, "Background saving terminated with success", "all"},
	{KindBGSaveError, "Background saving error", "all"},
	{KindBGSaveKilled, "Background saving terminated by signal {signal}", "all"},
	{KindSaveFailed, "Write error saving DB on disk: {reason}", "6.2"},
	{KindSaveFailed, "Write error saving DB on disk({*}): {reason}", "7.0"},
	{KindSaveFailed, "Write error while saving DB to the disk({*}): {reason}", "7.2+, Valkey"},
	{KindSaveFailed, "Failed opening the temp RDB file {file} (in server root dir {*}) for saving: {reason}", "7.0+"},
	{KindSaveFailed, "Failed opening the RDB file {file} (in server root dir {*}) for saving: {reason}", "6.2"},
	{KindSaveFailed, "Error moving temp DB file {file} on the final destination {file2} (in server root dir {*}): {reason}", "all"},
	{KindForkFailed, "Can't save in background: fork: {reason}", "all"},
	{KindForkFailed, "Can't rewrite append only file in background: fork: {reason}", "all"},
	{KindChildCoW, "Fork CoW for {reason}: current {mb} MB, peak {*} MB, average {*} MB", "7.0+"},
	{KindChildCoW, "RDB: {mb} MB of memory used by copy-on-write", "6.2"},
	{KindChildCoW, "AOF rewrite: {mb} MB of memory used by copy-on-write", "6.2"},
	{KindChildCoW, "Module fork: {mb} MB of memory used by copy-on-write", "6.2"},
	{KindChildSIGUSR1, "Received SIGUSR1 in child, exiting now.", "all (signal handler)"},
	{KindChildOrphaned, "Child failed reporting info to parent, exiting. {reason}", "6.2.8+, 7.0.6+, Valkey (childinfo.c)"},

	// aof.c: rewrite
	{KindRewriteAuto, "Starting automatic rewriting of AOF on {n}% growth", "all"},
	{KindRewriteScheduled, "Background append only file rewriting scheduled.", "Valkey 8+"},
	{KindRewriteScheduled, "AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.", "all"},
	{KindRewriteScheduled, "AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.", "all"},
	{KindIncrOnRewrite, "Creating AOF incr file {file} on background rewrite", "7.0+"},
	{KindRewriteStart, "Background append only file rewriting started by pid {pid}", "all"},
	{KindRewriteChildDone, "Successfully created the temporary AOF base file {file}", "7.0+ (child)"},
	{KindRewriteChildDone, "SYNC append only file rewrite performed", "6.2 (child)"},
	{KindRewriteDiff, "AOF rewrite child asks to stop sending diffs.", "6.2"},
	{KindRewriteDiff, "Parent agreed to stop sending diffs. Finalizing AOF...", "6.2 (child)"},
	{KindRewriteDiff, "Concatenating {mb} MB of AOF diff received from parent.", "6.2 (child)"},
	{KindRewriteResidual, "Residual parent diff successfully flushed to the rewritten AOF ({mb} MB)", "6.2"},
	{KindRewriteDiff, "Background AOF buffer size: {n} MB", "6.2"},
	{KindRewriteOK, "Background AOF rewrite terminated with success", "all"},
	{KindBaseRenamed, "Successfully renamed the temporary AOF base file {file} into {file2}", "7.0+"},
	{KindIncrRenamed, "Successfully renamed the temporary AOF incr file {file} into {file2}", "7.0+"},
	{KindHistoryRemoved, "Removing the history file {file} in the background", "7.0+"},
	{KindRewriteDone, "Background AOF rewrite finished successfully", "all"},
	{KindRewriteError, "Background AOF rewrite terminated with error", "all"},
	{KindRewriteKilled, "Background AOF rewrite terminated by signal {signal}", "all"},
	{KindRewriteKill, "Killing running AOF rewrite child: {pid}", "all"},
	{KindTempIncrRemoved, "Removing the temp incr aof file {file} in the background", "7.0+"},
	{KindRewriteBackoff, "Background AOF rewrite has repeatedly failed and triggered the limit, will retry in {n} minutes", "7.0+"},
	{KindRewriteInstallErr, "Error trying to rename the temporary AOF base file {file} into {file2}: {reason}", "7.0+"},
	{KindRewriteInstallErr, "Error trying to rename the temporary AOF incr file {file} into {file2}: {reason}", "7.0+"},
	{KindRewriteInstallErr, "Error trying to rename the temporary AOF manifest file {file} into {file2}: {reason}", "7.0+"},
	{KindRewriteInstallErr, "Error trying to write the temporary AOF manifest file {file}: {reason}", "7.0+"},
	{KindRewriteInstallErr, "Error trying to rename the temporary AOF file {file} into {file2}: {reason}", "6.2"},
	{KindRewriteInstallErr, "Error trying to flush the parent diff to the rewritten AOF: {reason}", "6.2"},
	{KindRewriteInstallErr, "Unable to open the temporary AOF produced by the child: {reason}", "6.2"},
	{KindAOFWriteError, "Error writing to the AOF file: {reason}", "all"},
	{KindAOFWriteError, "Write error writing append only file on disk: {reason}", "all"},
	{KindAOFWriteError, "Can't persist AOF for fsync error when the AOF fsync policy is 'always': {reason}. Exiting...", "all"},
	{KindAOFFsyncSlow, "Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down {*}.", "all"},

	// aof.c, server.c, rdb.c: loading
	{KindAOFBaseCreated, "Creating AOF base file {file} on server start", "7.0+"},
	{KindAOFIncrCreated, "Creating AOF incr file {file} on server start", "7.0+"},
	{KindAOFMigrated, "Successfully migrated an old-style AOF file ({file}) into the AOF directory ({file2}).", "7.0+"},
	{KindAOFIncrOpened, "Opening AOF incr file {file} on server start", "7.0+"},
	{KindAOFReadBase, "Reading RDB base file on AOF loading...", "7.0+"},
	{KindAOFReadPreamble, "Reading RDB preamble from AOF file...", "all"},
	{KindAOFReadTail, "Reading the remaining AOF tail...", "all"},
	{KindAOFBaseLoaded, "DB loaded from base file {file}: {secs} seconds", "7.0+"},
	{KindAOFIncrLoaded, "DB loaded from incr file {file}: {secs} seconds", "7.0+"},
	{KindAOFLoaded, "DB loaded from append only file: {secs} seconds", "all"},
	{KindRDBLoaded, "DB loaded from disk: {secs} seconds", "all"},
	{KindAOFTruncating, "!!! Truncating the AOF {file} at offset {offset} !!!", "7.0+"},
	{KindAOFTruncating, "!!! Truncating the AOF at offset {offset} !!!", "6.2"},
	{KindAOFShortRead, "!!! Warning: short read while loading the AOF file {file}!!!", "7.0+"},
	{KindAOFShortRead, "!!! Warning: short read while loading the AOF file !!!", "6.2"},
	{KindAOFLoadedCut, "AOF loaded anyway because aof-load-truncated is enabled", "6.2"},
	{KindAOFLoadedCut, "AOF {file} loaded anyway because aof-load-truncated is enabled", "7.0+"},
	{KindAOFManifestErr, "*** FATAL AOF MANIFEST FILE ERROR ***", "7.0+ (raw line after an empty message)"},
	{KindAOFBadFormat, "Bad file format reading the append only file {file}: make a backup of your AOF file, then use ./{*}-check-aof --fix <filename.manifest>", "7.0+ (Valkey: valkey-check-aof)"},
	{KindAOFBadFormat, "Bad file format reading the append only file: make a backup of your AOF file, then use ./redis-check-aof --fix <filename>", "6.2"},
	{KindAOFUnexpectedEOF, "Unexpected end of file reading the append only file {file}. You can: {*}", "7.0+"},
	{KindAOFUnexpectedEOF, "Unexpected end of file reading the append only file. You can: {*}", "6.2"},
	{KindAOFUnrecoverable, "Unrecoverable error reading the append only file {file}: {reason}", "7.0+"},
	{KindAOFUnrecoverable, "Unrecoverable error reading the append only file: {reason}", "6.2"},
	{KindAOFUnknownCmd, "Unknown command '{reason}' reading the append only file {file}", "7.0+"},
	{KindAOFUnknownCmd, "Unknown command '{reason}' reading the append only file", "6.2"},
	{KindAOFRevertMulti, "Revert incomplete MULTI/EXEC transaction in AOF file {file}", "7.0+"},
	{KindAOFRevertMulti, "Revert incomplete MULTI/EXEC transaction in AOF file", "6.2"},
	{KindAOFMissing, "The AOF directory {file} doesn't exist", "7.0+"},
	{KindAOFMissing, "The AOF manifest file {file} doesn't exist", "7.0+"},
	{KindAOFMissing, "The append log file {file} doesn't exist: {reason}", "7.0+"},
	{KindAOFOpenFailed, "Fatal error: can't open the AOF manifest file {file} for reading: {reason}", "7.0+"},
	{KindAOFOpenFailed, "Fatal error: can't open the append log file {file} for reading: {reason}", "7.0+"},
	{KindAOFOpenFailed, "Fatal error: can't open the append log file for reading: {reason}", "6.2"},
	{KindAOFOpenFailed, "Fatal error: the truncated file is not the last file", "7.0+"},
	{KindAOFOpenFailed, "Error reading the RDB base file {file}, AOF loading aborted", "7.0+"},
	{KindAOFOpenFailed, "Error reading the RDB preamble of the AOF file {file}, AOF loading aborted", "7.0+"},
	{KindAOFOpenFailed, "Error reading the RDB preamble of the AOF file, AOF loading aborted", "6.2"},
	{KindRDBProducer, "Loading RDB produced by version {version}", "Redis"},
	{KindRDBProducer, "Loading RDB produced by Redis version {version}", "Valkey (an RDB written by Redis)"},
	{KindRDBProducer, "Loading RDB produced by valkey version {version}", "Valkey 7.2"},
	{KindRDBProducer, "Loading RDB produced by Valkey version {version}", "Valkey 8+"},
	{KindRDBAge, "RDB age {n} seconds", "all"},
	{KindRDBMemory, "RDB memory usage when created {mb} Mb", "all"},
	{KindRDBIsBase, "RDB is base AOF", "7.0+"},
	{KindRDBIsBase, "RDB has an AOF tail", "all"},
	{KindRDBDone, "Done loading RDB, keys loaded: {keys}, keys expired: {expired}, empty keys skipped: {n}.", "7.0+ (empty keys)"},
	{KindRDBDone, "Done loading RDB, keys loaded: {keys}, keys expired: {expired}.", "all"},
	{KindRDBShortRead, "Short read or OOM loading DB. Unrecoverable error, aborting now.", "all"},
	{KindRDBChecksum, "Wrong RDB checksum expected: ({reason}) but got ({*}). Aborting now.", "all"},
	{KindRDBChecksum, "Wrong RDB checksum. Aborting now.", "≤6.0"},
	{KindRDBVersion, "Can't handle RDB format version {n}", "all"},
	{KindRDBSignature, "Wrong signature trying to load DB from file", "all"},
	{KindRDBInternal, "Internal error in RDB reading offset {offset}, function at rdb.c:{*} -> {reason}", "all"},
	{KindRDBTerminating, "Terminating server after rdb file reading failure.", "all"},
}
