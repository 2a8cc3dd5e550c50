// Package replay models the keyspace effect of the commands in AOF files,
// to say how many keys per database a client sees once redis-server has
// loaded a data directory with appendonly yes: the base, then every
// command of the incr files in load order, then the deletion of the keys
// whose expiry has passed (observed on 7.0.15: an AOF load, its RDB base
// included, keeps expired keys and the server deletes them right after).
//
// It does not execute commands. It tracks, per key the incr files touch,
// what decides whether the key exists at the start: existence, type,
// cardinality (or string length), the absolute expiry, and the exact
// contents of small collections where a command's effect depends on them
// (SREM of a member that may be the last one). The count is exact when
// every fact a command needs is known, and otherwise a range with the
// reasons (Result.Reasons): unknown commands (a module's, EVAL, DEBUG),
// keys past the tracking cap, arguments the scanner cut, effects that
// depend on members the model does not hold, keys expiring within the
// start window.
//
// # Two passes
//
// The base is an RDB (or a RESP base) read in one stream, so the model
// first learns which keys to ask it about:
//
//	m := replay.New(replay.Options{At: startMs})
//	for each incr file, each command: m.Touch(replay.FromAOF(i, cmd)); then m.EndFile()
//	walk the base, keeping what it holds for the keys m.Wants (or m.Keys)
//	m.SetBase(base)            // a Base: Lookup per key, Count per database
//	for each incr file, each command: m.Apply(replay.FromAOF(i, cmd)); then m.EndFile()
//	res := m.Result()
//
// A caller that lists keys one by one (rather than counting them) asks
// Origins after the first pass, to know where each base database's keys
// end up (SWAPDB, FLUSHDB), and Final after the second, for the state of
// every tracked key.
//
// The scanner must keep arguments (aofinspect.Options.Args, at least
// aofinspect.DefaultArgLimits). Both passes must see the same commands.
// When the base answers any lookup (a MemBase, or an empty base), Apply
// may be called without Touch: keys are then tracked as first seen.
//
// Commands are modelled as the loader runs them (src/aof.c
// loadSingleAppendOnlyFile: a client per file starting in database 0,
// MULTI queued until EXEC, nothing expired while loading), in the forms a
// 7.0 server writes: relative expiries become PEXPIREAT and SET ... PXAT,
// SPOP becomes SREM or DEL, the blocking pops become their plain forms,
// [LZ]MPOP become [LR]POP and ZPOP{MIN,MAX} with a count, INCRBYFLOAT
// becomes SET KEEPTTL, GETEX becomes PEXPIREAT or PERSIST, an expiry in the
// past becomes DEL, scripts and functions become their effects in
// MULTI/EXEC. Older forms (EXPIRE, SETEX, SPOP...) are modelled too, with
// relative times counted from Options.At. A transaction without EXEC at
// the end of a file is never executed: it is reverted, and itemised in
// Result.Lost with the commands the caller Drops (a torn tail, the rest
// of a file the server cuts).
//
// # Commands modelled
//
// Every command 7.0.15's table flags as a write, and the forms older
// servers wrote: SELECT, SWAPDB, FLUSHDB, FLUSHALL, MULTI/EXEC; DEL,
// UNLINK, EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (NX/XX/GT/LT), PERSIST,
// RENAME, RENAMENX, MOVE, COPY, RESTORE (its payload decoded), SORT ...
// STORE; SET (NX/XX/GET/EX/PX/EXAT/PXAT/KEEPTTL), SETNX, SETEX, PSETEX,
// GETSET, GETDEL, GETEX, MSET, MSETNX, APPEND, SETRANGE, INCR, DECR,
// INCRBY, DECRBY, INCRBYFLOAT, SETBIT, BITFIELD, BITOP, PFADD, PFMERGE;
// LPUSH, RPUSH, LPUSHX, RPUSHX, LINSERT, LSET, LPOP, RPOP (with a count),
// LREM, LTRIM, LMOVE, RPOPLPUSH, LMPOP and the blocking pops; SADD, SREM,
// SMOVE, SPOP, SINTERSTORE, SUNIONSTORE, SDIFFSTORE; HSET, HMSET, HSETNX,
// HDEL, HINCRBY, HINCRBYFLOAT; ZADD (NX/XX/GT/LT/INCR), ZINCRBY, ZREM,
// ZREMRANGEBYRANK/SCORE/LEX, ZPOPMIN, ZPOPMAX, ZMPOP, BZPOPMIN/MAX,
// ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE, ZRANGESTORE, GEOADD, the GEO
// searches that STORE (distances computed from the geohash scores); XADD
// (NOMKSTREAM), XGROUP CREATE (MKSTREAM), and the stream commands that
// never delete a key (XDEL, XTRIM, XACK, XCLAIM, XAUTOCLAIM, XSETID, the
// other XGROUP subcommands, XREADGROUP). Reads, PUBLISH, PFCOUNT and
// FUNCTION have no keyspace effect. MIGRATE, EVAL, EVALSHA, FCALL,
// DEBUG, REPLICAOF, SHUTDOWN and module commands are unknown.
//
// # Assumptions
//
// Where a fact is missing, the model takes what the command's presence in
// the file implies: the server writes a command only when it changed the
// dataset (SREM removed a member, SET NX found no key, RENAME found its
// source). That holds for files one server wrote in order; a base that
// does not match its incr files, a file listed twice, or a hand-edited
// file can break it. A command the model does not know is taken to touch
// only the keys its key specs name (a module command: its first
// argument); DEBUG and commands naming no key leave their database
// unbounded.
//
// # Memory
//
// Tracked keys cost some 100 bytes each beyond their names
// (Options.MaxKeys, default about a million); collection contents are kept
// up to Options.MaxMembers elements per key and Options.MaxMemberBytes in
// all. Commands stream through; only an open transaction keeps copies of
// the states it changed, to revert them.
//
// # Redis sources mirrored
//
// redis/redis 7.0.15: src/aof.c (loading), src/server.c (call,
// alsoPropagate, propagatePendingCommands), src/db.c (DEL, RENAME, MOVE,
// COPY, SWAPDB, FLUSHDB, key specs), src/expire.c, src/t_string.c,
// src/t_list.c, src/t_set.c, src/t_zset.c, src/t_hash.c, src/t_stream.c,
// src/sort.c, src/bitops.c, src/hyperloglog.c, src/geo.c, src/cluster.c
// (RESTORE), src/commands/*.json (the command table, generated into
// table_gen.go by testdata/gen_table.py).
//
// # Security
//
// Commands come from untrusted files. The model never sizes an allocation
// from a count or length in a command: ranges are computed, not
// materialised; collection contents are capped per key and in all; key
// tracking is capped; arguments are what the scanner kept (capped there).
// It does no I/O: it reads commands it is handed and asks the Base it is
// given. Malformed commands are errors the server would reply with, which
// the model treats as no effect; nothing panics on input.
package replay
