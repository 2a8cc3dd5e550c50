package finding

// Codes reported for RDB files (rdbinspect and the rdb command).
var (
	RDBBadMagic           = define("rdb-bad-magic", Error, "the file does not start with an RDB signature (REDIS or VALKEY followed by a version)")
	RDBUnsupportedVersion = define("rdb-unsupported-version", Error, "the RDB version is outside what Redis accepts (1 to 12) or is a newer format aoftool only checks by checksum")
	RDBChecksumMismatch   = define("rdb-checksum-mismatch", Error, "the CRC-64 stored after the EOF opcode differs from the one computed over the file; Redis refuses to load it")
	RDBChecksumDisabled   = define("rdb-checksum-disabled", Info, "the file was saved with rdbchecksum no (stored CRC is 0); Redis loads it without a check")
	RDBTruncated          = define("rdb-truncated", Error, "the file ends inside a record or inside the 8-byte checksum; Redis stops with Unexpected EOF")
	RDBNoTrailer          = define("rdb-no-trailer", Error, "the file ends between two records without the EOF opcode and checksum; the dump was cut short")
	RDBTrailingBytes      = define("rdb-trailing-bytes", Error, "bytes follow the checksum of a standalone RDB file")
	RDBAOFTail            = define("rdb-aof-tail", Info, "AOF commands follow the RDB preamble, as Redis writes with aof-use-rdb-preamble")
	RDBInvalidLength      = define("rdb-invalid-length", Error, "a length or count claims more bytes than the file has left")
	RDBInvalidType        = define("rdb-invalid-type", Error, "a byte where an opcode or object type was expected is neither")
	RDBInvalidOpcode      = define("rdb-invalid-opcode", Error, "a module value, quicklist node or stream record holds an opcode or marker Redis does not accept")
	RDBInvalidEncoding    = define("rdb-invalid-encoding", Error, "a string, LZF block, ziplist, listpack or intset is malformed")
	RDBEmpty              = define("rdb-empty", Info, "the RDB holds no keys")
	RDBIncomplete         = define("rdb-incomplete", Warning, "a temp RDB that a running job is still writing ends early; it is not finished, not corrupt")
	RDBStillGrowing       = define("rdb-still-growing", Warning, "the file grew while it was read; only the bytes present at the start were checked")
	RDBCompressedEnvelope = define("rdb-compressed-envelope", Warning, "the file is a Valkey VKCS compressed envelope, which aoftool recognises but does not unpack")
	RDBFormatUnchecked    = define("rdb-structure-unchecked", Warning, "the RDB version is newer than the formats aoftool walks; only header and checksum were checked")
	RDBKeysRefused        = define("rdb-keys-refused", Warning, "key statistics were not computed because the file failed verification")
	RDBDBOutOfRange       = define("rdb-db-out-of-range", Warning, "a SELECTDB names a database number a server with the default 16 databases refuses")
)
