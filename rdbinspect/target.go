package rdbinspect

import (
	"fmt"
	"strconv"
	"strings"
)

// Server names the server a prediction is for: "redis" or "valkey" and a
// release ("7.0.15", "7.2"). The RDB versions and object types it accepts
// follow from the release (src/rdb.h RDB_VERSION and rdbIsObjectType).
type Server struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

func (s Server) String() string {
	name := s.Name
	switch name {
	case "redis":
		name = "Redis"
	case "valkey":
		name = "Valkey"
	}
	return name + " " + s.Version
}

// serverLimits is what one family of releases accepts.
type serverLimits struct {
	maxRDB int
	// maxType is the last accepted object type; types 0..7 (6 and 7 only
	// from 4.0) and 9..maxType are accepted (rdbIsObjectType).
	maxType int
	// lowMax is the last accepted type below 8: 4 before 4.0, else 7.
	lowMax int
}

// limits returns what the server accepts, and false when the release is
// unknown (too old, or not a version number).
func (s Server) limits() (serverLimits, bool) {
	major, minor, ok := majorMinor(s.Version)
	if !ok {
		return serverLimits{}, false
	}
	if s.Name == "valkey" {
		switch {
		case major == 7 || (major == 8 && minor <= 1):
			return serverLimits{11, 21, 7}, true
		case major >= 9:
			// RDB 80 and up use the VALKEY magic, walked by header only.
			return serverLimits{12, 25, 7}, true
		}
		return serverLimits{}, false
	}
	switch {
	case major < 3 || (major == 3 && minor < 2):
		return serverLimits{}, false
	case major == 3:
		return serverLimits{7, 14, 4}, true
	case major == 4:
		return serverLimits{8, 14, 7}, true
	case major < 7:
		return serverLimits{9, 15, 7}, true
	case major == 7 && minor < 2:
		return serverLimits{10, 19, 7}, true
	case major == 7 && minor < 4:
		return serverLimits{11, 21, 7}, true
	}
	// 7.4 and 8.x up to 8.4 write RDB 12; later 8.x releases are newer than
	// the formats this package walks and are judged as 8.4.
	return serverLimits{12, 25, 7}, true
}

func majorMinor(v string) (int, int, bool) {
	parts := strings.SplitN(v, ".", 3)
	major, err := strconv.Atoi(parts[0])
	if err != nil {
		return 0, 0, false
	}
	minor := 0
	if len(parts) > 1 {
		if minor, err = strconv.Atoi(parts[1]); err != nil {
			return 0, 0, false
		}
	}
	return major, minor, true
}

// acceptsType mirrors rdbIsObjectType of the target release; the loader
// refuses any other type byte ("Unknown RDB encoding type").
func (l serverLimits) acceptsType(t int) bool {
	return (t >= 0 && t <= l.lowMax) || (t >= 9 && t <= l.maxType)
}

// newestFor is the newest release family that writes an RDB version, used
// as the target when the file does not name its writer.
func newestFor(version int) Server {
	switch {
	case version <= 7:
		return Server{"redis", "3.2"}
	case version == 8:
		return Server{"redis", "4.0"}
	case version == 9:
		return Server{"redis", "6.2"}
	case version == 10:
		return Server{"redis", "7.0"}
	case version == 11:
		return Server{"redis", "7.2"}
	}
	return Server{"redis", "8.4"}
}

// defaultTarget is the server that wrote the file, from its redis-ver or
// valkey-ver aux field, else the newest release of its RDB version.
func defaultTarget(h *Header) Server {
	if h.ValkeyVer != "" {
		if _, _, ok := majorMinor(h.ValkeyVer); ok {
			return Server{"valkey", h.ValkeyVer}
		}
	}
	if h.RedisVer != "" {
		if _, _, ok := majorMinor(h.RedisVer); ok {
			return Server{"redis", h.RedisVer}
		}
	}
	return newestFor(h.Version)
}

// targetFor resolves Options.Target against the header.
func targetFor(opt Options, h *Header) (Server, serverLimits, bool) {
	t := defaultTarget(h)
	if opt.Target != nil {
		t = *opt.Target
		if t.Name == "" {
			t.Name = "redis"
		}
	}
	l, ok := t.limits()
	return t, l, ok
}

func typeDescription(t int) string {
	if t >= 0 && t < len(typeInfos) && typeInfos[t].name != "" {
		return fmt.Sprintf("%d (%s %s)", t, typeInfos[t].name, typeInfos[t].encoding)
	}
	return strconv.Itoa(t)
}
