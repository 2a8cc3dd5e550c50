// Package rdbinspect reads Redis and Valkey RDB files the way the server's
// loader does, without loading them: the header and aux fields, the CRC-64
// trailer, a structural walk that finds where a damaged or cut file stops
// making sense, and key-level statistics.
//
// # Byte layout
//
//	magic      "REDIS" + 4 digits (RDB 1..12, Redis), "VALKEY" + 3 digits (80+,
//	           Valkey 9); a "VKCS" prefix marks a Valkey compressed envelope
//	aux        FA <string key> <string value>, repeated: redis-ver or
//	           valkey-ver, redis-bits, ctime, used-mem, repl-stream-db,
//	           repl-id, repl-offset, aof-base (7.0+) or aof-preamble (<= 6.2)
//	module aux F7 <len module id> <len when-opcode = 2> <len when> <module value>
//	functions  F5 <string library code> (7.0+); F6 is a 7.0 RC format, refused
//	per db     FE <len db> [FB <len keys> <len expires>] then records
//	record     [FD <4-byte s> | FC <8-byte ms LE>] [F8 <len idle>] [F9 <1 byte>]
//	           <type byte> <string key> <value encoded by type>
//	slot info  F4 <len slot> <len size> <len expires size> (cluster)
//	trailer    FF, then from RDB 5 an 8-byte little-endian CRC-64 Jones over
//	           every byte from the magic through FF; 0 means rdbchecksum no
//
// Lengths: the top two bits of the first byte select 6 bits, 14 bits
// (big-endian with the next byte), 0x80 + 4 bytes or 0x81 + 8 bytes
// big-endian; 11xxxxxx marks a special string: 8, 16 or 32-bit little-endian
// integer, or LZF (compressed length, plain length, data).
//
// Object types: 0 string, 1 list, 2 set, 3 zset, 4 hash, 5 zset with binary
// scores, 7 module, 9 zipmap, 10 list ziplist, 11 intset, 12 zset ziplist,
// 13 hash ziplist, 14 quicklist, 15/19/21 stream listpacks v1/v2/v3,
// 16 hash listpack, 17 zset listpack, 18 quicklist v2, 20 set listpack,
// 22..25 hash with field TTLs (7.4).
//
// # What the server checks inside values
//
// Each value is checked as rdbLoadObject checks it, and each fault carries
// the verdict of the target server (Options.Target, by default the writer)
// under sanitize-dump-payload no and yes, and of redis-check-rdb, which
// always sanitizes deeply (LoadVerdict, Report.Load, Report.Refusals):
//
//	ziplist     every entry, prev-length, tail, count, and for hashes and
//	            zsets duplicates and pairs, on every load: the loader
//	            converts ziplists to listpacks (ziplistValidateIntegrity)
//	listpack    byte count and end byte on every load; entries,
//	            back-lengths, count and duplicates only when sanitizing
//	            (lpValidateIntegrity, lpValidateIntegrityAndDups); without
//	            sanitization a count of 0 skips the key, an unknown count
//	            (0xFFFF) or a container above the conversion threshold is
//	            walked with assertions that crash the server
//	intset      encoding, size and count on every load; order and
//	            duplicates only when sanitizing (intsetValidateIntegrity)
//	zipmap      everything, and duplicate fields, on every load
//	stream      node keys, empty nodes, duplicate node keys, groups, PEL
//	            entries and consumers on every load; the listpack layout
//	            (streamValidateListpackIntegrity) and PEL entries without a
//	            consumer only when sanitizing
//	plain sets  duplicates and NaN scores refuse; hash duplicates refuse
//	            only once the hash is a hash table
//	empty keys  a collection without elements is skipped at load
//	            ("rdbLoadObject skipping empty key"); redis-check-rdb refuses
//	expire      all ones reads as "no expire": the key loses its TTL
//	module      module data without the module loaded refuses
//	            (Options.Modules lists the loaded module type names)
//
// Container bytes are pulled through a blobReader as the walk streams them
// (raw strings straight from the blocks, LZF strings through the 16 KiB
// window), so a container of any size is checked in constant memory.
// Duplicate tests keep 128-bit fingerprints of at most 2^18 elements per
// collection (8 MiB); a larger collection is reported as not checked.
//
// # Key visitor
//
// Options.Visit describes every key to a Visitor as the same walk reaches
// it (visit.go): database, name (capped, with a SHA-256 of a longer one),
// type and encoding as TYPE and OBJECT ENCODING name them on the target
// server, absolute expiry, element count, serialized size, offset and the
// memory MEMORY USAGE key SAMPLES 0 would report there (memory.go: the
// structures rdbLoadObject builds, sized with jemalloc 5.3's classes; dict
// growth and incremental rehashing, skiplist levels and stream rax nodes
// modelled), and on request the members of wanted collections and the
// value digest DEBUG DIGEST-VALUE computes (SHA-1 mixes of the elements'
// string forms, scores printed with %.17g up to 7.0 and with deps/fpconv's
// Grisu2 from 7.2, fpconv.go). The validators hand their decoded elements
// to the visitor only when it needs them, so a walk without a visitor does
// exactly what it did before. Visitor.Counts classifies each database's
// expiries for a start time, as replay.Base.Count asks.
//
// Files: dump.rdb, temp-<pid>.rdb (BGSAVE), temp-<time>.<pid>.rdb (a replica
// receiving a full sync), appendonly.aof.<n>.base.rdb (7.x AOF base, aux
// aof-base 1), and a <= 6.2 appendonly.aof that starts with an RDB preamble
// (aux aof-preamble 1) followed by RESP commands. Report.RDBEnd tells an AOF
// scanner where that tail begins.
//
// # Checksum
//
// The CRC-64 is computed over 1 MiB blocks by several goroutines and the
// block sums are joined with the GF(2) shift operator (CRC64Combine, after
// zlib's crc32_combine). On amd64 each block is folded four 16-byte lanes at
// a time with PCLMULQDQ and finished with the table of hash/crc64; other
// architectures use the table alone. Both are tested against each other and
// against trailers written by redis-server.
//
// # Redis sources mirrored
//
// src/rdb.h (opcodes, types, rdbIsObjectType), src/rdb.c (rdbLoadLenByRef,
// rdbGenericLoadStringObject, rdbLoadObject, rdbLoadRioWithLoadingCtx,
// rdbLoadCheckModuleValue), src/lzf_d.c (LZF), src/crc64.c (checksum),
// src/ziplist.c (ziplistValidateIntegrity, zipEntrySafe), src/listpack.c
// (lpValidateIntegrity, lpValidateNext, lpGet), src/intset.c
// (intsetValidateIntegrity), src/zipmap.c (zipmapValidateIntegrity),
// src/t_stream.c (streamValidateListpackIntegrity), src/util.c (string2ll),
// src/config.c (conversion thresholds), src/redis-check-rdb.c (what the
// official checker reports), src/object.c (objectComputeSize, memoryCommand),
// src/sds.c, src/dict.c, src/quicklist.c, src/t_zset.c, src/t_hash.c,
// src/t_set.c, src/debug.c (xorObjectDigest), all at tag 7.0.15; 7.2.6 and
// 7.4.1 for set listpacks, list listpacks, fpconv and hash field TTLs.
//
// # Security
//
// Input files are untrusted. Every length read from a file is compared with
// the bytes that remain before it is used; nothing is allocated in
// proportion to a length from the file (payloads are skipped by offset, LZF
// is checked by streaming into a fixed window, at most a capped prefix of a
// key name is kept). The file is read once, in 1 MiB blocks through a fixed
// pool of buffers shared by the checksum goroutines and the walk, so memory
// does not grow with the file. Readers take an io.ReaderAt and a size
// snapshotted by the caller, so a file that grows, shrinks or is replaced
// while it is read cannot make a reader loop or run past the snapshot. The
// package never opens paths: callers open files read-only through
// internal/ropen.
package rdbinspect
