package replay

import (
	"math/rand"
	"strconv"
	"testing"
	"time"

	"github.com/aoftool/aoftool/internal/redistest"
)

// gen makes random writes over a few hundred keys in four databases,
// collections small enough that removals empty them.
type gen struct {
	t        testing.TB
	rng      *rand.Rand
	srv      *redistest.Server
	payloads [][2]string // DUMP payloads: type, payload
}

func newGen(t testing.TB, rng *rand.Rand, srv *redistest.Server) *gen {
	return &gen{t: t, rng: rng, srv: srv}
}

const fn = "#!lua name=replaylib\n" +
	"redis.register_function('addpop', function(keys, args) redis.call('SADD', keys[1], args[1], args[2]); return redis.call('SPOP', keys[1]) end)\n" +
	"redis.register_function('movecount', function(keys, args) if redis.call('EXISTS', keys[1]) == 1 then redis.call('RENAME', keys[1], keys[2]) end; return redis.call('INCR', keys[3]) end)"

// prepare loads a function and takes DUMP payloads of each type for
// RESTORE.
func (g *gen) prepare() {
	g.srv.MustDo("FUNCTION", "LOAD", "REPLACE", fn)
	c := dial(g.t, g.srv)
	defer c.close()
	for _, cmd := range [][]string{{"SET", "tmp", "v"}, {"RPUSH", "tmp", "a", "b"}, {"SADD", "tmp", "a"}, {"ZADD", "tmp", "1", "a"}, {"HSET", "tmp", "f", "v"}, {"XADD", "tmp", "*", "f", "v"}} {
		c.do(cmd...)
		p := c.do("DUMP", "tmp")
		c.do("DEL", "tmp")
		g.payloads = append(g.payloads, [2]string{cmd[0], p.str})
	}
}

func (g *gen) n(k int) int             { return g.rng.Intn(k) }
func (g *gen) p(pct int) bool          { return g.rng.Intn(100) < pct }
func (g *gen) pick(s ...string) string { return s[g.rng.Intn(len(s))] }

var kinds = []string{"str", "list", "set", "hash", "zset", "stream"}

// key names a key of a kind; now and then one shared by every kind, so
// commands meet keys of the wrong type.
func (g *gen) key(kind string) string {
	if g.p(4) {
		return "mix:" + strconv.Itoa(g.n(8))
	}
	return kind + ":" + strconv.Itoa(g.n(40))
}

func (g *gen) member() string { return "m" + strconv.Itoa(g.n(6)) }

func (g *gen) members(max int) []string {
	out := make([]string, 1+g.n(max))
	for i := range out {
		out[i] = g.member()
	}
	return out
}

func (g *gen) now() int64 { return time.Now().UnixMilli() }

// ttl options for SET: long (an hour), short (expired by the restart) or
// an absolute time in the past.
func (g *gen) setTTL() []string {
	switch g.n(8) {
	case 0:
		return []string{"EX", "3600"}
	case 1:
		return []string{"PX", strconv.Itoa(50 + g.n(250))}
	case 2:
		return []string{"EXAT", strconv.FormatInt(g.now()/1000+3600, 10)}
	case 3:
		return []string{"PXAT", strconv.FormatInt(g.now()-10000, 10)}
	case 4:
		return []string{"KEEPTTL"}
	}
	return nil
}

func (g *gen) expireCmd(k string) []string {
	var c []string
	switch g.n(5) {
	case 0:
		c = []string{"EXPIRE", k, "3600"}
	case 1:
		c = []string{"PEXPIRE", k, strconv.Itoa(50 + g.n(250))}
	case 2:
		c = []string{"EXPIREAT", k, strconv.FormatInt(g.now()/1000-10, 10)}
	case 3:
		c = []string{"PEXPIREAT", k, strconv.FormatInt(g.now()+3600000+int64(g.n(1000)), 10)}
	default:
		c = []string{"EXPIRE", k, strconv.Itoa(-1 + g.n(2)*7200)}
	}
	if g.p(30) {
		c = append(c, g.pick("NX", "XX", "GT", "LT"))
	}
	return c
}

// cmd returns one random command.
func (g *gen) cmd() []string {
	kind := kinds[g.n(len(kinds))]
	k := g.key(kind)
	switch g.n(100) {
	case 0, 1:
		return []string{"SELECT", strconv.Itoa(g.n(4))}
	case 2, 3, 4:
		c := []string{"DEL", k}
		if g.p(30) {
			c = append(c, g.key(kinds[g.n(len(kinds))]))
		}
		return c
	case 5:
		return []string{"UNLINK", k}
	case 6, 7, 8, 9:
		return g.expireCmd(k)
	case 10:
		return []string{"PERSIST", k}
	case 11, 12:
		return []string{g.pick("RENAME", "RENAMENX"), k, g.key(kind)}
	case 13:
		return []string{"MOVE", k, strconv.Itoa(g.n(4))}
	case 14:
		c := []string{"COPY", k, g.key(kind)}
		if g.p(50) {
			c = append(c, "DB", strconv.Itoa(g.n(4)))
		}
		if g.p(50) {
			c = append(c, "REPLACE")
		}
		return c
	case 15:
		if g.p(15) {
			return []string{"SWAPDB", strconv.Itoa(g.n(4)), strconv.Itoa(g.n(4))}
		}
		if g.p(3) {
			return []string{"FLUSHDB"}
		}
		return []string{"GET", k}
	case 16:
		p := g.payloads[g.n(len(g.payloads))]
		c := []string{"RESTORE", g.key(kinds[g.n(len(kinds))]), "0", p[1]}
		switch g.n(3) {
		case 0:
			c[2] = strconv.Itoa(50 + g.n(200))
		case 1:
			c[2] = strconv.FormatInt(g.now()+3600000, 10)
			c = append(c, "ABSTTL")
		}
		if g.p(50) {
			c = append(c, "REPLACE")
		}
		return c
	case 17:
		c := []string{"SORT", g.key(g.pick("list", "set", "zset")), "ALPHA"}
		if g.p(40) {
			c = append(c, "LIMIT", strconv.Itoa(g.n(3)), strconv.Itoa(g.n(3)-1))
		}
		if g.p(20) {
			c = append(c, "GET", "#")
		}
		return append(c, "STORE", g.key("list"))
	case 18:
		if g.p(50) {
			return []string{"EVAL", "redis.call('SET', KEYS[1], ARGV[1]); if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('DEL', KEYS[2]) end; return 1",
				"2", g.key("str"), g.key("str"), "v"}
		}
		if g.p(50) {
			return []string{"FCALL", "addpop", "1", g.key("set"), g.member(), g.member()}
		}
		return []string{"FCALL", "movecount", "3", g.key("str"), g.key("str"), g.key("str")}
	}
	switch kind {
	case "str":
		return g.strCmd(k)
	case "list":
		return g.listCmd(k)
	case "set":
		return g.setCmd(k)
	case "hash":
		return g.hashCmd(k)
	case "zset":
		return g.zsetCmd(k)
	}
	return g.streamCmd(k)
}

func (g *gen) strCmd(k string) []string {
	switch g.n(20) {
	case 0, 1, 2, 3:
		c := []string{"SET", k, "v" + strconv.Itoa(g.n(100))}
		if g.p(25) {
			c = append(c, g.pick("NX", "XX"))
		}
		if g.p(15) {
			c = append(c, "GET")
		}
		return append(c, g.setTTL()...)
	case 4:
		return []string{"SETNX", k, "v"}
	case 5:
		if g.p(50) {
			return []string{"SETEX", k, "3600", "v"}
		}
		return []string{"PSETEX", k, strconv.Itoa(50 + g.n(200)), "v"}
	case 6:
		if g.p(50) {
			return []string{"GETDEL", k}
		}
		return []string{"GETSET", k, "v"}
	case 7:
		c := []string{"GETEX", k}
		switch g.n(4) {
		case 0:
			c = append(c, "EX", "3600")
		case 1:
			c = append(c, "PX", strconv.Itoa(50+g.n(200)))
		case 2:
			c = append(c, "PERSIST")
		default:
			c = append(c, "PXAT", strconv.FormatInt(g.now()-5000, 10))
		}
		return c
	case 8:
		return []string{g.pick("MSET", "MSETNX"), k, "1", g.key("str"), "2"}
	case 9:
		return []string{"APPEND", k, g.pick("", "x", "yy")}
	case 10:
		return []string{"SETRANGE", k, strconv.Itoa(g.n(5)), g.pick("", "ab")}
	case 11:
		return []string{g.pick("INCR", "DECR"), k}
	case 12:
		return []string{"INCRBYFLOAT", k, "1.5"}
	case 13:
		return []string{"SETBIT", k, strconv.Itoa(g.n(20)), strconv.Itoa(g.n(2))}
	case 14:
		if g.p(30) {
			return []string{"BITOP", "NOT", k, g.key("str")}
		}
		return []string{"BITOP", g.pick("AND", "OR", "XOR"), k, g.key("str"), g.key("str")}
	case 15:
		return []string{"PFADD", k, g.member()}
	case 16:
		return []string{"PFMERGE", k, g.key("str")}
	case 17:
		return []string{"INCRBY", k, strconv.Itoa(g.n(10))}
	}
	return []string{"SET", k, g.pick("", "v")}
}

func (g *gen) listCmd(k string) []string {
	switch g.n(18) {
	case 0, 1, 2:
		return append([]string{g.pick("LPUSH", "RPUSH"), k}, g.members(3)...)
	case 3:
		return []string{g.pick("LPUSHX", "RPUSHX"), k, g.member()}
	case 4, 5:
		c := []string{g.pick("LPOP", "RPOP"), k}
		if g.p(50) {
			c = append(c, strconv.Itoa(g.n(4)))
		}
		return c
	case 6:
		return []string{"LREM", k, strconv.Itoa(g.n(5) - 2), g.member()}
	case 7:
		return []string{"LTRIM", k, strconv.Itoa(g.n(4) - 1), strconv.Itoa(g.n(4) - 2)}
	case 8:
		return []string{"LSET", k, strconv.Itoa(g.n(3) - 1), g.member()}
	case 9:
		return []string{"LINSERT", k, g.pick("BEFORE", "AFTER"), g.member(), g.member()}
	case 10:
		return []string{"LMOVE", k, g.key("list"), g.pick("LEFT", "RIGHT"), g.pick("LEFT", "RIGHT")}
	case 11:
		return []string{"RPOPLPUSH", k, g.key("list")}
	case 12:
		return []string{"LMPOP", "2", k, g.key("list"), g.pick("LEFT", "RIGHT"), "COUNT", strconv.Itoa(1 + g.n(3))}
	case 13:
		return []string{g.pick("BLPOP", "BRPOP"), k, g.key("list"), "0.001"}
	case 14:
		return []string{"BLMOVE", k, g.key("list"), g.pick("LEFT", "RIGHT"), g.pick("LEFT", "RIGHT"), "0.001"}
	case 15:
		return []string{"BLMPOP", "0.001", "1", k, "RIGHT"}
	}
	return []string{"RPUSH", k, g.member()}
}

func (g *gen) setCmd(k string) []string {
	switch g.n(12) {
	case 0, 1, 2:
		return append([]string{"SADD", k}, g.members(3)...)
	case 3, 4:
		return append([]string{"SREM", k}, g.members(2)...)
	case 5:
		c := []string{"SPOP", k}
		if g.p(50) {
			c = append(c, strconv.Itoa(g.n(4)))
		}
		return c
	case 6:
		return []string{"SMOVE", k, g.key("set"), g.member()}
	case 7, 8:
		return []string{g.pick("SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"), k, g.key("set"), g.key("set")}
	}
	return []string{"SADD", k, g.member()}
}

func (g *gen) hashCmd(k string) []string {
	switch g.n(8) {
	case 0, 1, 2:
		return []string{"HSET", k, g.member(), "v", g.member(), "w"}
	case 3:
		return []string{"HSETNX", k, g.member(), "v"}
	case 4, 5:
		return append([]string{"HDEL", k}, g.members(2)...)
	case 6:
		return []string{"HINCRBY", k, g.member(), "2"}
	}
	return []string{"HINCRBYFLOAT", k, g.member(), "0.5"}
}

func (g *gen) zsetCmd(k string) []string {
	switch g.n(22) {
	case 0, 1, 2:
		c := []string{"ZADD", k}
		if g.p(30) {
			c = append(c, g.pick("NX", "XX", "GT", "LT", "CH"))
		}
		for range 1 + g.n(3) {
			c = append(c, strconv.Itoa(g.n(5)), g.member())
		}
		return c
	case 3:
		return []string{"ZADD", k, "INCR", strconv.Itoa(g.n(3)), g.member()}
	case 4:
		return []string{"ZINCRBY", k, strconv.Itoa(g.n(3) - 1), g.member()}
	case 5, 6:
		return append([]string{"ZREM", k}, g.members(2)...)
	case 7:
		return []string{"ZREMRANGEBYSCORE", k, g.pick("-inf", "1", "(1"), g.pick("+inf", "2", "(3")}
	case 8:
		return []string{"ZREMRANGEBYRANK", k, strconv.Itoa(g.n(3) - 1), strconv.Itoa(g.n(3) - 1)}
	case 9:
		return []string{"ZREMRANGEBYLEX", k, g.pick("-", "[m1", "(m2"), g.pick("+", "[m3", "(m4")}
	case 10, 11:
		c := []string{g.pick("ZPOPMIN", "ZPOPMAX"), k}
		if g.p(50) {
			c = append(c, strconv.Itoa(g.n(3)))
		}
		return c
	case 12:
		return []string{"ZMPOP", "1", k, g.pick("MIN", "MAX"), "COUNT", strconv.Itoa(1 + g.n(3))}
	case 13:
		return []string{g.pick("BZPOPMIN", "BZPOPMAX"), k, "0.001"}
	case 14, 15:
		c := []string{g.pick("ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"), k, "2", g.key("zset"), g.key(g.pick("zset", "set"))}
		if c[0] != "ZDIFFSTORE" && g.p(40) {
			c = append(c, "WEIGHTS", "2", "1", "AGGREGATE", g.pick("SUM", "MIN", "MAX"))
		}
		return c
	case 16:
		if g.p(50) {
			return []string{"ZRANGESTORE", k, g.key("zset"), strconv.Itoa(g.n(3) - 1), strconv.Itoa(g.n(3))}
		}
		return []string{"ZRANGESTORE", k, g.key("zset"), g.pick("(1", "2"), g.pick("+inf", "3"), "BYSCORE", "LIMIT", "0", strconv.Itoa(g.n(3))}
	case 17:
		return []string{"GEOADD", k, strconv.Itoa(10 + g.n(5)), strconv.Itoa(35 + g.n(5)), g.member()}
	case 18:
		return []string{"GEOSEARCHSTORE", k, g.key("zset"), "FROMLONLAT", "12", "37", "BYRADIUS", strconv.Itoa(100 + g.n(400)), "km"}
	}
	return []string{"ZADD", k, "0", g.member()}
}

func (g *gen) streamCmd(k string) []string {
	switch g.n(10) {
	case 0, 1, 2:
		return []string{"XADD", k, "*", "f", "v"}
	case 3:
		return []string{"XADD", k, "NOMKSTREAM", "MAXLEN", "~", "2", "*", "f", "v"}
	case 4:
		return []string{"XTRIM", k, "MAXLEN", "0"}
	case 5:
		return []string{"XDEL", k, "0-1"}
	case 6:
		return []string{"XGROUP", "CREATE", k, "g" + strconv.Itoa(g.n(2)), "0", "MKSTREAM"}
	case 7:
		return []string{"XREADGROUP", "GROUP", "g0", "c", "COUNT", "1", "STREAMS", k, ">"}
	case 8:
		return []string{"XAUTOCLAIM", k, "g0", "c2", "0", "0"}
	}
	return []string{"XSETID", k, "0-0"}
}

// send pipelines about n commands, some in MULTI/EXEC blocks, and returns
// how many it sent.
func (g *gen) send(n int) int {
	c := dial(g.t, g.srv)
	defer c.close()
	sent := 0
	for sent < n {
		if g.p(8) {
			c.write("MULTI")
			k := 1 + g.n(4)
			for i := 0; i < k; i++ {
				c.write(g.cmd()...)
			}
			end := "EXEC"
			if g.p(10) {
				end = "DISCARD"
			}
			c.write(end)
			sent += k + 2
			continue
		}
		c.write(g.cmd()...)
		sent++
	}
	if err := c.w.Flush(); err != nil {
		g.t.Fatal(err)
	}
	for i := 0; i < sent; i++ {
		c.read()
	}
	return sent
}
