package redistest

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Query sends commands on one connection and returns every reply; a
// command the server answers with an error gets its error at the same
// index.
func (s *Server) Query(cmds [][]string) ([]Reply, []error, error) {
	conn, err := net.DialTimeout("unix", s.Socket, 2*time.Second)
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Minute))
	w := bufio.NewWriterSize(conn, 1<<16)
	type result struct {
		replies []Reply
		errs    []error
		err     error
	}
	done := make(chan result, 1)
	go func() {
		r := bufio.NewReaderSize(conn, 1<<16)
		var res result
		for range cmds {
			rep, err := readReply(r)
			var netErr net.Error
			if err != nil && (errors.As(err, &netErr) || errors.Is(err, errProtocol) || strings.Contains(err.Error(), "EOF")) {
				res.err = err
				break
			}
			res.replies = append(res.replies, rep)
			res.errs = append(res.errs, err)
		}
		done <- res
	}()
	for _, c := range cmds {
		if _, err := w.Write(EncodeCommand(c...)); err != nil {
			return nil, nil, err
		}
	}
	if err := w.Flush(); err != nil {
		return nil, nil, err
	}
	res := <-done
	return res.replies, res.errs, res.err
}

// MustQuery is Query failing the test on a connection error or any error
// reply.
func (s *Server) MustQuery(cmds [][]string) []Reply {
	s.t.Helper()
	replies, errs, err := s.Query(cmds)
	if err != nil {
		s.t.Fatal(err)
	}
	for i, e := range errs {
		if e != nil {
			s.t.Fatalf("%s: %v", strings.Join(cmds[i], " "), e)
		}
	}
	return replies
}

// DatasetKey names one key of a database.
type DatasetKey struct {
	DB  int
	Key string
}

// KeyFacts is what a server says of one key.
type KeyFacts struct {
	Type     string
	Encoding string
	// ExpireAt is PEXPIRETIME: absolute Unix milliseconds, -1 without a TTL.
	ExpireAt int64
	// Elements is LLEN, SCARD, ZCARD, HLEN, XLEN or STRLEN.
	Elements int64
	// Memory is MEMORY USAGE key SAMPLES 0.
	Memory int64
	// Digest is DEBUG DIGEST-VALUE, empty when DEBUG is off.
	Digest string
}

// FillDataset writes every type in every encoding a 7.x server keeps, with
// binary and very long names, TTLs and several databases, as commands
// executed by the server (no DEBUG POPULATE), and returns the keys written.
// The same seed writes the same data.
func FillDataset(t testing.TB, s *Server, seed int64) []DatasetKey {
	t.Helper()
	rng := rand.New(rand.NewSource(seed))
	var cmds [][]string
	var keys []DatasetKey
	db := 0
	add := func(key string, c ...[]string) {
		keys = append(keys, DatasetKey{DB: db, Key: key})
		cmds = append(cmds, c...)
	}
	word := func(n int) string {
		const letters = "abcdefghijklmnopqrstuvwxyz0123456789-_:"
		b := make([]byte, n)
		for i := range b {
			b[i] = letters[rng.Intn(len(letters))]
		}
		return string(b)
	}
	bin := func(n int) string {
		b := make([]byte, n)
		rng.Read(b)
		return string(b)
	}
	sel := func(n int) {
		db = n
		cmds = append(cmds, []string{"SELECT", strconv.Itoa(n)})
	}
	sel(0)
	// Strings: shared and private integers, embstr, raw, compressible,
	// binary.
	for i, v := range []string{"0", "5", "9999", "10000", "-1", "123456789012", "9223372036854775807", "-9223372036854775808", "007", "1e5", "12345678901234567890", "+1", " 1"} {
		add(fmt.Sprintf("str:int:%d", i), []string{"SET", fmt.Sprintf("str:int:%d", i), v})
	}
	for _, n := range []int{0, 1, 5, 20, 21, 31, 32, 39, 40, 43, 44, 45, 46, 60, 100, 200, 255, 256, 1000, 4000, 20000, 70000, 300000} {
		k := fmt.Sprintf("str:len:%d", n)
		add(k, []string{"SET", k, word(n)})
	}
	for _, n := range []int{50, 3000, 100000} {
		k := fmt.Sprintf("str:lzf:%d", n)
		add(k, []string{"SET", k, strings.Repeat("abcab", n/5)})
		k = fmt.Sprintf("str:bin:%d", n)
		add(k, []string{"SET", k, bin(n)})
	}
	k := "str:appended"
	add(k, []string{"SET", k, "x"}, []string{"APPEND", k, word(500)})
	// Names: binary, long, very long (beyond any name cap).
	for _, name := range []string{"\x00", "\xff\xfe\x00bin", "emoji:\U0001F600", strings.Repeat("long:", 60), strings.Repeat("k", 70000), "日本語"} {
		add(name, []string{"SET", name, "v"})
	}
	// Lists: one node, many nodes, long and integer items, a list with
	// holes, pushed from both ends.
	for _, n := range []int{1, 3, 50, 200, 1000, 20000} {
		k := fmt.Sprintf("list:%d", n)
		var c [][]string
		for i := 0; i < n; i += 500 {
			cmd := []string{"RPUSH", k}
			for j := i; j < min(n, i+500); j++ {
				if j%3 == 0 {
					cmd = append(cmd, strconv.Itoa(rng.Intn(1<<20)-1<<19))
				} else {
					cmd = append(cmd, word(1+rng.Intn(30)))
				}
			}
			c = append(c, cmd)
		}
		add(k, c...)
	}
	k = "list:long-items"
	{
		c := []string{"LPUSH", k}
		for i := 0; i < 40; i++ {
			c = append(c, word(300+rng.Intn(900)))
		}
		add(k, c, []string{"RPUSH", k, word(9000)}, []string{"RPUSH", k, word(10)})
	}
	k = "list:holes"
	{
		c := []string{"RPUSH", k}
		for i := 0; i < 3000; i++ {
			c = append(c, fmt.Sprintf("e%d", i%7))
		}
		add(k, c, []string{"LREM", k, "0", "e3"}, []string{"LREM", k, "0", "e5"})
	}
	// Sets: intsets of each width, hash tables around the thresholds, a
	// hash table shrunk back to integers, mixed members.
	for _, spec := range []struct {
		name string
		n    int
		gen  func(i int) string
	}{
		{"set:int16", 10, func(i int) string { return strconv.Itoa(i * 7) }},
		{"set:int32", 100, func(i int) string { return strconv.Itoa(i * 70000) }},
		{"set:int64", 300, func(i int) string { return strconv.Itoa(i * 7000000000) }},
		{"set:int512", 512, func(i int) string { return strconv.Itoa(i) }},
		{"set:int513", 513, func(i int) string { return strconv.Itoa(i) }},
		{"set:str1", 1, func(i int) string { return word(10) }},
		{"set:str4", 4, func(i int) string { return word(12) }},
		{"set:str5", 5, func(i int) string { return word(12) }},
		{"set:str9", 9, func(i int) string { return word(20) }},
		{"set:str100", 100, func(i int) string { return word(8) + strconv.Itoa(i) }},
		{"set:str1000", 1000, func(i int) string { return word(15) + strconv.Itoa(i) }},
		{"set:str5000", 5000, func(i int) string { return word(40) + strconv.Itoa(i) }},
		{"set:mixed", 60, func(i int) string {
			if i%2 == 0 {
				return strconv.Itoa(i)
			}
			return "m" + strconv.Itoa(i)
		}},
		{"set:long", 20, func(i int) string { return word(100) }},
	} {
		c := []string{"SADD", spec.name}
		for i := 0; i < spec.n; i++ {
			c = append(c, spec.gen(i))
		}
		add(spec.name, c)
	}
	k = "set:shrunk"
	{
		c := []string{"SADD", k}
		r := []string{"SREM", k}
		for i := 0; i < 600; i++ {
			c = append(c, strconv.Itoa(i))
			if i >= 100 {
				r = append(r, strconv.Itoa(i))
			}
		}
		add(k, c, r)
	}
	// Sorted sets: listpacks, skiplists by count and by member length,
	// integral, fractional and infinite scores, a skiplist shrunk small.
	for _, spec := range []struct {
		name string
		n    int
		mlen int
	}{{"zset:3", 3, 8}, {"zset:128", 128, 10}, {"zset:129", 129, 10}, {"zset:1000", 1000, 12}, {"zset:long5", 5, 70}, {"zset:long40", 40, 65}, {"zset:5000", 5000, 20}} {
		c := []string{"ZADD", spec.name}
		for i := 0; i < spec.n; i++ {
			var score string
			switch i % 5 {
			case 0:
				score = strconv.Itoa(i)
			case 1:
				score = strconv.FormatFloat(rng.Float64()*1000, 'g', -1, 64)
			case 2:
				score = "0.1"
			case 3:
				score = strconv.Itoa(-i * 1000000)
			default:
				score = strconv.FormatFloat(rng.NormFloat64()*1e10, 'g', -1, 64)
			}
			if i == 7 {
				score = "inf"
			}
			if i == 9 {
				score = "-inf"
			}
			c = append(c, score, word(spec.mlen)+strconv.Itoa(i))
		}
		add(spec.name, c)
	}
	k = "zset:shrunk"
	{
		c := []string{"ZADD", k}
		for i := 0; i < 300; i++ {
			c = append(c, strconv.Itoa(i), "member-"+strconv.Itoa(i))
		}
		add(k, c, []string{"ZREMRANGEBYRANK", k, "0", "249"})
	}
	// Hashes: listpacks, hash tables around the thresholds and powers of
	// two, long values met after a few fields, a hash table shrunk small.
	for _, n := range []int{1, 5, 64, 512, 513, 1000, 2048, 5000} {
		k := fmt.Sprintf("hash:%d", n)
		c := []string{"HSET", k}
		for i := 0; i < n; i++ {
			v := word(1 + rng.Intn(20))
			if i%4 == 0 {
				v = strconv.Itoa(rng.Intn(100000))
			}
			c = append(c, "f"+strconv.Itoa(i), v)
		}
		add(k, c)
	}
	for _, n := range []int{1, 4, 5, 8, 9, 16, 17, 33, 100, 300} {
		for _, at := range []int{0, 3, 7} {
			if at >= n {
				continue
			}
			k := fmt.Sprintf("hash:long:%d:%d", n, at)
			c := []string{"HSET", k}
			for i := 0; i < n; i++ {
				v := word(1 + rng.Intn(30))
				if i == at {
					v = word(65 + rng.Intn(200))
				}
				c = append(c, "field:"+strconv.Itoa(i), v)
			}
			add(k, c)
		}
	}
	k = "hash:shrunk"
	{
		c := []string{"HSET", k}
		r := []string{"HDEL", k}
		for i := 0; i < 700; i++ {
			c = append(c, "f"+strconv.Itoa(i), "v"+strconv.Itoa(i))
			if i >= 40 {
				r = append(r, "f"+strconv.Itoa(i))
			}
		}
		add(k, c, r)
	}
	// Streams: one node, many nodes, deleted entries, consumer groups with
	// pending entries spread over consumers, an emptied stream.
	stream := func(k string, n int, fields int) [][]string {
		var c [][]string
		for i := 0; i < n; i++ {
			cmd := []string{"XADD", k, fmt.Sprintf("%d-%d", 1700000000000+int64(i/3), i%3)}
			for f := 0; f < fields; f++ {
				v := word(1 + rng.Intn(12))
				if f == 0 {
					v = strconv.Itoa(i)
				}
				cmd = append(cmd, "field"+strconv.Itoa(f), v)
			}
			if i%50 == 49 {
				cmd = append(cmd, "extra", word(5))
			}
			c = append(c, cmd)
		}
		return c
	}
	add("stream:5", stream("stream:5", 5, 2)...)
	add("stream:1000", stream("stream:1000", 1000, 3)...)
	{
		k := "stream:groups"
		c := stream(k, 3000, 2)
		c = append(c,
			[]string{"XGROUP", "CREATE", k, "g1", "0"},
			[]string{"XGROUP", "CREATE", k, "g2", "0"},
			[]string{"XGROUP", "CREATE", k, "idle", "$"},
			[]string{"XREADGROUP", "GROUP", "g1", "alice", "COUNT", "700", "STREAMS", k, ">"},
			[]string{"XREADGROUP", "GROUP", "g1", "bob", "COUNT", "300", "STREAMS", k, ">"},
			[]string{"XREADGROUP", "GROUP", "g2", "carol", "COUNT", "50", "STREAMS", k, ">"},
			[]string{"XGROUP", "CREATECONSUMER", k, "g2", "dave"},
			[]string{"XACK", k, "g1", "1700000000010-1", "1700000000011-2", "1700000000100-0"},
			[]string{"XDEL", k, "1700000000500-0", "1700000000500-1"},
		)
		add(k, c...)
	}
	{
		k := "stream:empty"
		c := stream(k, 10, 1)
		c = append(c, []string{"XTRIM", k, "MAXLEN", "0"})
		add(k, c...)
	}
	// Random shapes of every collection, so each encoding is met at many
	// sizes: streams with groups, pending entries and consumers; sorted
	// sets, hashes, sets and lists from a few to thousands of elements.
	for i := 0; i < 240; i++ {
		k := fmt.Sprintf("rnd:%d", i)
		n := 1 + rng.Intn([]int{10, 200, 3000}[rng.Intn(3)])
		switch i % 6 {
		case 0:
			c := stream(k, n, 1+rng.Intn(4))
			for g := 0; g < rng.Intn(4); g++ {
				group := fmt.Sprintf("g%d", g)
				c = append(c, []string{"XGROUP", "CREATE", k, group, "0"})
				for cons := 0; cons < 1+rng.Intn(5); cons++ {
					c = append(c, []string{"XREADGROUP", "GROUP", group, fmt.Sprintf("c%d", cons), "COUNT", strconv.Itoa(1 + rng.Intn(n)), "STREAMS", k, ">"})
				}
			}
			add(k, c...)
		case 1:
			c := []string{"ZADD", k}
			mlen := []int{4, 20, 70}[rng.Intn(3)]
			for j := 0; j < n; j++ {
				c = append(c, strconv.FormatFloat(rng.NormFloat64()*1000, 'g', -1, 64), word(1+rng.Intn(mlen))+strconv.Itoa(j))
			}
			add(k, c)
		case 2:
			c := []string{"HSET", k}
			long := rng.Intn(3) == 0
			for j := 0; j < n; j++ {
				v := word(1 + rng.Intn(40))
				if long && rng.Intn(n) == 0 {
					v = word(65 + rng.Intn(300))
				}
				c = append(c, "f"+strconv.Itoa(j), v)
			}
			add(k, c)
		case 3:
			c := []string{"SADD", k}
			ints := rng.Intn(2) == 0
			for j := 0; j < n; j++ {
				if ints {
					c = append(c, strconv.Itoa(rng.Intn(1<<uint(8+rng.Intn(40)))))
				} else {
					c = append(c, word(1+rng.Intn(30))+strconv.Itoa(j))
				}
			}
			add(k, c)
		case 4:
			c := []string{"RPUSH", k}
			for j := 0; j < n; j++ {
				if rng.Intn(50) == 0 {
					c = append(c, word(1000+rng.Intn(12000)))
				} else {
					c = append(c, word(1+rng.Intn(60)))
				}
			}
			add(k, c)
		default:
			add(k, []string{"SET", k, word(rng.Intn(2000))})
		}
	}
	// Expiring keys in other databases; a prefix-shaped keyspace.
	sel(1)
	now := time.Now().UnixMilli()
	for i := 0; i < 50; i++ {
		k := fmt.Sprintf("ttl:%d", i)
		add(k, []string{"SET", k, word(10)}, []string{"PEXPIREAT", k, strconv.FormatInt(now+3600_000+int64(i)*1000, 10)})
	}
	k = "ttl:hash"
	add(k, []string{"HSET", k, "a", "1", "b", "2"}, []string{"EXPIRE", k, "7200"})
	sel(2)
	for i := 0; i < 30; i++ {
		k := fmt.Sprintf("db2:%d", i)
		add(k, []string{"RPUSH", k, word(5), word(6)})
	}
	sel(3)
	for i := 0; i < 2000; i++ {
		k := fmt.Sprintf("user:%d:profile", i)
		add(k, []string{"HSET", k, "name", word(8), "age", strconv.Itoa(18 + i%60), "city", word(6)})
		if i%4 == 0 {
			k := fmt.Sprintf("session:%s", word(16))
			add(k, []string{"SET", k, word(40)}, []string{"EXPIRE", k, "86400"})
		}
	}
	s.MustQuery(cmds)
	return keys
}

// Facts asks the server what it holds for each key; a key the server does
// not hold is left out.
func (s *Server) Facts(t testing.TB, keys []DatasetKey) map[DatasetKey]KeyFacts {
	t.Helper()
	out := map[DatasetKey]KeyFacts{}
	byDB := map[int][]string{}
	for _, k := range keys {
		byDB[k.DB] = append(byDB[k.DB], k.Key)
	}
	for db, names := range byDB {
		var cmds [][]string
		cmds = append(cmds, []string{"SELECT", strconv.Itoa(db)})
		for _, k := range names {
			cmds = append(cmds, []string{"TYPE", k}, []string{"OBJECT", "ENCODING", k}, []string{"PEXPIRETIME", k},
				[]string{"MEMORY", "USAGE", k, "SAMPLES", "0"}, []string{"DEBUG", "DIGEST-VALUE", k})
		}
		replies, errs, err := s.Query(cmds)
		if err != nil {
			t.Fatal(err)
		}
		var counts [][]string
		var present []string
		for i, k := range names {
			r := replies[1+5*i:]
			e := errs[1+5*i:]
			if r[0].Str == "none" {
				continue
			}
			f := KeyFacts{Type: r[0].Str, Encoding: r[1].Str, ExpireAt: r[2].Int, Memory: r[3].Int}
			if e[4] == nil && len(r[4].Array) == 1 {
				f.Digest = r[4].Array[0].Str
			}
			out[DatasetKey{db, k}] = f
			present = append(present, k)
			switch f.Type {
			case "string":
				counts = append(counts, []string{"STRLEN", k})
			case "list":
				counts = append(counts, []string{"LLEN", k})
			case "set":
				counts = append(counts, []string{"SCARD", k})
			case "zset":
				counts = append(counts, []string{"ZCARD", k})
			case "hash":
				counts = append(counts, []string{"HLEN", k})
			case "stream":
				counts = append(counts, []string{"XLEN", k})
			default:
				counts = append(counts, []string{"EXISTS", k})
			}
		}
		replies = s.MustQuery(append([][]string{{"SELECT", strconv.Itoa(db)}}, counts...))
		for i, k := range present {
			f := out[DatasetKey{db, k}]
			f.Elements = replies[1+i].Int
			out[DatasetKey{db, k}] = f
		}
	}
	return out
}
