package finding

// Codes of the phase classifier: leftovers of killed or crashed jobs and
// risks that only show when the files are read together. Multiple incr
// files, history files and unlisted files reuse the manifest codes.
var (
	StaleTransferFile  = define("stale-transfer-file", Warning, "a replica transfer file temp-<unixtime>.<pid>.rdb from an aborted or crashed full sync; no Redis removes it, the next sync uses a new name; safe to delete")
	StaleBgsaveTemp    = define("stale-bgsave-temp", Warning, "a temp-<pid>.rdb no BGSAVE is writing any more (child killed or server crashed); Redis ignores it forever; safe to delete once nothing writes it")
	StaleRewriteTemp   = define("stale-rewrite-temp", Warning, "a partial temp-rewriteaof-<pid>.aof of a rewrite child that died with its server; Redis ignores it and never removes it; safe to delete")
	OrphanRewriteBg    = define("orphan-rewrite-bg", Warning, "a finished temp-rewriteaof-bg-<pid>.aof no parent installed; Redis ignores it; safe to delete, but it is a full snapshot at fork time, useful for manual recovery")
	LeftoverTempIncr   = define("leftover-temp-incr", Warning, "appendonlydir/temp-<af>.incr with no rewrite running: the server died in AOF_WAIT_REWRITE; it holds writes no manifest lists and is truncated at the next rewrite")
	LeftoverTempMan    = define("leftover-temp-manifest", Warning, "appendonlydir/temp-<af>.manifest left by a crash or I/O error during a manifest write; overwritten at the next write; safe to delete after comparing it with the manifest")
	BaseDumpMismatch   = define("base-dump-mismatch", Warning, "the AOF base rebuilt after a full sync differs in size from the dump.rdb it was rewritten from by far more than the replication aux fields")
	TempFilesFreeSpace = define("temp-files-threaten-free-space", Error, "the running job's file still has to grow by more than the volume has free: it will fail with ENOSPC (leftover temp files make it worse)")
	FullSyncLoop       = define("full-sync-loop", Warning, "several replica transfer files: full syncs keep restarting (replica killed, timeout or output buffer limit on the master) and each attempt leaves one file")
	DumpIgnoredAOFOn   = define("dump-ignored-while-aof-on", Error, "dump.rdb holds far more data than the AOF and is older than it: AOF was switched on after the dump, Redis loads only the AOF and ignores the dump, which may be the only copy of the data")
	StaleAOFAfterSync  = define("stale-aof-after-sync", Warning, "a full sync has replaced the dataset but the AOF has not been rebuilt yet: a restart now loads the pre-sync AOF, ignores the newer dump.rdb and full-syncs again")
	PhaseCopyFrozen    = define("copy-looks-frozen", Info, "nothing in the directory changed for a long time before the snapshot while temp files of jobs are present: a copy or a stopped server; --server-stopped judges every temp file a leftover")
	PhaseTempOld       = define("temp-file-old", Info, "a temp file of a job has not changed for a long time before the snapshot; without a second snapshot its job cannot be proven alive or dead")
)
