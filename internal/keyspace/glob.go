package keyspace

// Match reports whether name matches the glob pattern as KEYS and SCAN
// MATCH do: src/util.c stringmatchlen of Redis 7.0.15, case-sensitive.
// '*' any run, '?' one byte, [abc], [^abc], [a-z] (bounds in either order,
// compared as signed chars like the C code), '\' escapes.
func Match(pattern, name []byte) bool {
	if len(pattern) == 1 && pattern[0] == '*' {
		// KEYS and SCAN take "*" for every key without matching, the
		// empty name included.
		return true
	}
	skip := false
	return matchImpl(pattern, name, &skip)
}

// at is pattern[i], or the NUL terminator the C code reads past the end.
func at(p []byte, i int) byte {
	if i < len(p) {
		return p[i]
	}
	return 0
}

func matchImpl(p, s []byte, skipLonger *bool) bool {
	pi, plen := 0, len(p)
	si, slen := 0, len(s)
	for plen > 0 && slen > 0 {
		switch p[pi] {
		case '*':
			for plen > 0 && at(p, pi+1) == '*' {
				pi++
				plen--
			}
			if plen == 1 {
				return true
			}
			for slen > 0 {
				if matchImpl(p[pi+1:pi+plen], s[si:si+slen], skipLonger) {
					return true
				}
				if *skipLonger {
					return false
				}
				si++
				slen--
			}
			*skipLonger = true
			return false
		case '?':
			si++
			slen--
		case '[':
			pi++
			plen--
			not := at(p, pi) == '^'
			if not {
				pi++
				plen--
			}
			match := false
			for {
				c := at(p, pi)
				if c == '\\' && plen >= 2 {
					pi++
					plen--
					if at(p, pi) == s[si] {
						match = true
					}
				} else if c == ']' {
					break
				} else if plen == 0 {
					pi--
					plen++
					break
				} else if plen >= 3 && at(p, pi+1) == '-' {
					start, end, ch := int(int8(c)), int(int8(at(p, pi+2))), int(int8(s[si]))
					if start > end {
						start, end = end, start
					}
					pi += 2
					plen -= 2
					if ch >= start && ch <= end {
						match = true
					}
				} else if c == s[si] {
					match = true
				}
				pi++
				plen--
			}
			if not {
				match = !match
			}
			if !match {
				return false
			}
			si++
			slen--
		case '\\':
			if plen >= 2 {
				pi++
				plen--
			}
			fallthrough
		default:
			if at(p, pi) != s[si] {
				return false
			}
			si++
			slen--
		}
		pi++
		plen--
		if slen == 0 {
			for at(p, pi) == '*' && plen > 0 {
				pi++
				plen--
			}
			break
		}
	}
	return plen == 0 && slen == 0
}
