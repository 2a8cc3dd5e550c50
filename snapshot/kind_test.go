package snapshot

import "testing"

func TestDecodeName(t *testing.T) {
	n := DefaultNames()
	cases := []struct {
		name   string
		isDir  bool
		kind   Kind
		pid    int
		seq    int64
		af     string
		unixts int64
	}{
		{"dump.rdb", false, KindDump, 0, 0, "", 0},
		{"temp-1700000000.4242.rdb", false, KindTransferTemp, 4242, 0, "", 1700000000},
		{"temp-578.rdb", false, KindBgsaveTemp, 578, 0, "", 0},
		{"temp-rewriteaof-578.aof", false, KindRewriteTemp, 578, 0, "", 0},
		{"temp-rewriteaof-bg-578.aof", false, KindRewriteBgTemp, 578, 0, "", 0},
		{"temp-appendonly.aof.incr", false, KindTempIncr, 0, 0, "appendonly.aof", 0},
		{"temp-appendonly.aof.manifest", false, KindTempManifest, 0, 0, "appendonly.aof", 0},
		{"appendonly.aof.12.base.rdb", false, KindBaseRDB, 0, 12, "appendonly.aof", 0},
		{"appendonly.aof.1.base.aof", false, KindBaseAOF, 0, 1, "appendonly.aof", 0},
		{"appendonly.aof.3.incr.aof", false, KindIncr, 0, 3, "appendonly.aof", 0},
		{"my file.aof.3.incr.aof", false, KindIncr, 0, 3, "my file.aof", 0},
		{"appendonly.aof.manifest", false, KindManifest, 0, 0, "appendonly.aof", 0},
		{"appendonly.aof", false, KindLegacyAOF, 0, 0, "appendonly.aof", 0},
		{"appendonlydir", true, KindAppendOnlyDir, 0, 0, "", 0},
		{"nodes.conf", false, KindNodesConf, 0, 0, "", 0},
		{"nodes.conf.tmp-77-1700000000123", false, KindNodesConfTemp, 77, 0, "", 0},
		{"redis.log", false, KindUnknown, 0, 0, "", 0},
		{"lost+found", true, KindUnknown, 0, 0, "", 0},
		{"temp-99999999999999999999.rdb", false, KindUnknown, 0, 0, "", 0},
	}
	for _, c := range cases {
		info := DecodeName(c.name, c.isDir, true, n)
		if info.Kind != c.kind || info.PID != c.pid || info.Seq != c.seq || info.AppendFilename != c.af {
			t.Errorf("%q: got %+v, want kind %s pid %d seq %d af %q", c.name, info, c.kind, c.pid, c.seq, c.af)
		}
		if c.unixts != 0 && (info.Time == nil || info.Time.Unix() != c.unixts) {
			t.Errorf("%q: time %v, want %d", c.name, info.Time, c.unixts)
		}
	}
}
