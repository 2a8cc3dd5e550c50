package finding

// Codes of a server log read together with the files (phase and check
// --log): where the two disagree.
var (
	LogJobEndedFileRemains = define("log-job-ended-file-remains", Warning, "the log says the job that writes a temp file ended (finished, failed or killed), yet the file remains: the server renames or removes it then, so it is a leftover, or the log is another server's")
	LogPIDMismatch         = define("log-pid-mismatch", Warning, "a temp file's name holds a pid (replica or child) the log's server never had while the log covers the file's time: the file is another server's, or the log is")
	LogPhaseDisagrees      = define("log-phase-disagrees", Warning, "the files and the server's log give different phases and neither explains the other; the files' answer is kept with a lower confidence")
	LogBehindFiles         = define("log-behind-files", Info, "the log ends before the directory's last change: it does not show what happened since (or its times are in another zone: --log-tz)")
)
