package finding

// Codes of the post-mortem's start prediction: what the next start of
// redis-server does to the data, beyond what any one file says.
var (
	StartLosesData   = define("start-loses-data", Error, "the next start, in the mode the configuration or the directory shows, overwrites or leaves out data that no file it loads holds")
	StartLeavesTrap  = define("start-leaves-trap", Error, "the next start succeeds but leaves the directory so that the start after it refuses or silently drops data (a preamble cut to 0 bytes, an open MULTI, a torn #TS annotation, a live file deleted as history)")
	DumpNotAFile     = define("dump-not-a-file", Error, "dbfilename is a directory, a FIFO or a loop of symbolic links: a start with AOF off refuses or hangs, and a directory also breaks every later save and disk-based full sync")
	StartOtherMode   = define("start-other-mode", Info, "what a start in the other appendonly mode would do, when it differs from the judged one")
	ManifestBaseGone = define("manifest-base-not-listed", Error, "the manifest lists incr files but no base while a base file with data is in the AOF directory: the start loads only the incr files and the base's data is lost")
	RehearsalDiffers = define("rehearsal-differs", Error, "check --rehearse started the server on a scratch copy and it did otherwise than predicted (another end, another key count, another cut): the server's answer is the one to trust")
	ManifestEmptyRDB = define("manifest-empty-base", Error, "a listed base named .rdb has 0 bytes: Redis never writes one (an empty dataset's base is 88 bytes), so its data is gone and the start loads only the incr files")
)
