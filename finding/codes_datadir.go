package finding

// Codes of the data-dir layer: how a path given on the command line was
// read, and files that moved under aoftool while it read them.
var (
	DataDirNameDiscovered = define("datadir-name-discovered", Warning, "a file name the server is configured with was not given and its default is absent; aoftool used the only candidate it found, and names the flag (or --config) that says so")
	DataDirParentUsed     = define("datadir-parent-used", Info, "an AOF directory or manifest was given where a data directory is meant; its parent directory was inspected")
	InputVanished         = define("input-vanished", Warning, "a file was renamed or removed between the listing and its reading (a live server renames temp files); it was not read")
	InputReplaced         = define("input-replaced", Warning, "a file was replaced by another under the same name while it was read (a rename by the server); the report is about the file that was opened")
)
