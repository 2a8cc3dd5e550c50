package snapshot

// ExpectedSize estimates a growing artifact's final size: a BGSAVE writes
// about what the last dump.rdb holds; a rewrite's new base ends near the
// size of dump.rdb (after a sync: the same dataset minus the repl-* aux
// fields) or of the current base. A transfer's size is written only to the
// replica's log ("receiving <n> bytes from master"), so none is given.
func ExpectedSize(s *Snapshot, e *Entry) (int64, string) {
	dump := s.Entry(s.DBFilename)
	var base *Entry
	for i := range s.Entries {
		c := &s.Entries[i]
		if (c.Kind == KindBaseRDB || c.Kind == KindBaseAOF) && (c.ManifestRole == "b" || base == nil) {
			base = c
		}
	}
	switch e.Kind {
	case KindBgsaveTemp:
		if dump != nil && dump.Size > 0 {
			return dump.Size, dump.Path
		}
	case KindRewriteTemp:
		if dump != nil && dump.Size > 0 && (base == nil || dump.MTime.After(base.MTime) || dump.Size > base.Size) {
			return dump.Size, dump.Path
		}
		if base != nil && base.Size > 0 {
			return base.Size, base.Path
		}
	}
	return 0, ""
}

// UntilNoTempFiles is an Until condition that needs no classifier: true
// once the directory holds no temp file of a job (the steady-state files
// only). A leftover of a dead job keeps it false.
func UntilNoTempFiles(s *Snapshot) bool {
	for _, e := range s.Entries {
		if e.Kind.IsTemp() {
			return false
		}
	}
	return true
}
