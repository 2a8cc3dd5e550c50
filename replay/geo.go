package replay

import (
	"math"
	"sort"
)

// GEO searches stored (GEORADIUS ... STORE|STOREDIST, GEORADIUSBYMEMBER
// ... STORE|STOREDIST, GEOSEARCHSTORE), as src/geo.c georadiusGeneric
// runs them: members are decoded from their 52-bit geohash scores to the
// centre of their cell (geohashDecodeToLongLatWGS84) and kept when their
// haversine distance (geohashGetDistance) is within the radius or box. A
// member whose distance lies within a hair of the limit makes the result
// a range: the model's floating point need not round as the server's C
// library does.

const (
	geoLatMin   = -85.05112878
	geoLatMax   = 85.05112878
	geoLongMin  = -180
	geoLongMax  = 180
	geoStep     = 26
	earthRadius = 6372797.560856
	degRad      = math.Pi / 180.0
)

// deinterleave64 splits interleaved bits: even ones in the low 32 bits,
// odd ones in the high (src/geohash.c).
func deinterleave64(interleaved uint64) uint64 {
	b := [...]uint64{0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F, 0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF, 0x00000000FFFFFFFF}
	s := [...]uint{0, 1, 2, 4, 8, 16}
	x, y := interleaved, interleaved>>1
	for i := range b {
		x = (x | x>>s[i]) & b[i]
		y = (y | y>>s[i]) & b[i]
	}
	return x | y<<32
}

// geoDecode is decodeGeohash: a score's cell centre. Explicit conversions
// keep Go from fusing multiply-adds the server's build does not.
func geoDecode(score float64) (lon, lat float64) {
	sep := deinterleave64(uint64(score))
	ilato, ilono := uint32(sep), uint32(sep>>32)
	div := float64(uint64(1) << geoStep)
	latScale, longScale := geoLatMax-geoLatMin, float64(geoLongMax-geoLongMin)
	latMin := geoLatMin + float64(float64(ilato)*1.0/div*latScale)
	latMax := geoLatMin + float64(float64(ilato+1)*1.0/div*latScale)
	lonMin := geoLongMin + float64(float64(ilono)*1.0/div*longScale)
	lonMax := geoLongMin + float64(float64(ilono+1)*1.0/div*longScale)
	lon = min(max((lonMin+lonMax)/2, geoLongMin), geoLongMax)
	lat = min(max((latMin+latMax)/2, geoLatMin), geoLatMax)
	return lon, lat
}

func geoLatDistance(lat1, lat2 float64) float64 {
	return earthRadius * math.Abs(float64(lat2*degRad)-float64(lat1*degRad))
}

// geoDistance is geohashGetDistance.
func geoDistance(lon1, lat1, lon2, lat2 float64) float64 {
	lon1r, lon2r := float64(lon1*degRad), float64(lon2*degRad)
	v := math.Sin((lon2r - lon1r) / 2)
	if v == 0 {
		return geoLatDistance(lat1, lat2)
	}
	lat1r, lat2r := float64(lat1*degRad), float64(lat2*degRad)
	u := math.Sin((lat2r - lat1r) / 2)
	a := float64(u*u) + float64(float64(math.Cos(lat1r)*math.Cos(lat2r))*v*v)
	return 2.0 * earthRadius * math.Asin(math.Sqrt(a))
}

// near reports a distance too close to its limit to be sure of the
// server's comparison.
func near(d, limit float64) bool { return math.Abs(d-limit) <= limit*1e-9+1e-9 }

// geoQuery is a parsed GEO search.
type geoQuery struct {
	src, dst    int
	member      int // argument of the centre member, or 0 with lon/lat
	lon, lat    float64
	box         bool
	radius      float64 // metres
	w, h        float64 // metres
	conv        float64
	count       int64
	any, desc   bool
	sorted      bool
	storeDist   bool
	hasCentre   bool
	hasShape    bool
	searchStore bool
}

func geoUnit(a *argv, i int) (float64, bool) {
	switch {
	case a.is(i, "M"):
		return 1, true
	case a.is(i, "KM"):
		return 1000, true
	case a.is(i, "FT"):
		return 0.3048, true
	case a.is(i, "MI"):
		return 1609.34, true
	}
	return 0, false
}

func geoLonLat(a *argv, i int) (lon, lat float64, ok bool) {
	lon, ok1 := a.float(i)
	lat, ok2 := a.float(i + 1)
	if !ok1 || !ok2 || lon < geoLongMin || lon > geoLongMax || lat < geoLatMin || lat > geoLatMax {
		return 0, 0, false
	}
	return lon, lat, true
}

// parseGeo parses the search as georadiusGeneric does; ok is false on an
// error (no effect), store false when nothing is stored (a read).
func parseGeo(a *argv) (q geoQuery, store, ok bool) {
	base := 0
	switch a.name {
	case "GEORADIUS":
		q.src, base = 1, 6
		var ok1 bool
		if q.lon, q.lat, ok1 = geoLonLat(a, 2); !ok1 {
			return q, false, false
		}
		q.hasCentre = true
	case "GEORADIUSBYMEMBER":
		q.src, base, q.member = 1, 5, 2
		q.hasCentre = true
	default: // GEOSEARCHSTORE
		q.dst, q.src, base, q.searchStore = 1, 2, 3, true
	}
	if !q.searchStore {
		r, ok1 := a.float(base - 2)
		conv, ok2 := geoUnit(a, base-1)
		if !ok1 || !ok2 || r < 0 {
			return q, false, false
		}
		q.radius, q.conv, q.hasShape = float64(r*conv), conv, true
	}
	for i := base; i < a.n(); i++ {
		left := a.n() - i - 1
		switch {
		case a.is(i, "WITHDIST"), a.is(i, "WITHHASH"), a.is(i, "WITHCOORD"):
			return q, false, false // not allowed with STORE; a read otherwise
		case a.is(i, "ANY"):
			q.any = true
		case a.is(i, "ASC"):
			q.sorted, q.desc = true, false
		case a.is(i, "DESC"):
			q.sorted, q.desc = true, true
		case a.is(i, "COUNT") && left >= 1:
			c, ok1 := a.int(i + 1)
			if !ok1 || c <= 0 {
				return q, false, false
			}
			q.count = c
			i++
		case (a.is(i, "STORE") || a.is(i, "STOREDIST")) && left >= 1 && !q.searchStore:
			q.dst, q.storeDist = i+1, a.is(i, "STOREDIST")
			i++
		case a.is(i, "STOREDIST") && q.searchStore:
			q.storeDist = true
		case a.is(i, "FROMMEMBER") && left >= 1 && q.searchStore && !q.hasCentre:
			q.member, q.hasCentre = i+1, true
			i++
		case a.is(i, "FROMLONLAT") && left >= 2 && q.searchStore && !q.hasCentre:
			var ok1 bool
			if q.lon, q.lat, ok1 = geoLonLat(a, i+1); !ok1 {
				return q, false, false
			}
			q.hasCentre = true
			i += 2
		case a.is(i, "BYRADIUS") && left >= 2 && q.searchStore && !q.hasShape:
			r, ok1 := a.float(i + 1)
			conv, ok2 := geoUnit(a, i+2)
			if !ok1 || !ok2 || r < 0 {
				return q, false, false
			}
			q.radius, q.conv, q.hasShape = float64(r*conv), conv, true
			i += 2
		case a.is(i, "BYBOX") && left >= 3 && q.searchStore && !q.hasShape:
			w, ok1 := a.float(i + 1)
			h, ok2 := a.float(i + 2)
			conv, ok3 := geoUnit(a, i+3)
			if !ok1 || !ok2 || !ok3 || w < 0 || h < 0 {
				return q, false, false
			}
			q.box, q.w, q.h, q.conv, q.hasShape = true, float64(w*conv), float64(h*conv), conv, true
			i += 3
		default:
			return q, false, false
		}
	}
	if q.dst == 0 {
		return q, false, true
	}
	if !q.hasCentre || !q.hasShape || q.any && q.count == 0 {
		return q, false, false
	}
	if q.count != 0 && !q.sorted && !q.any {
		q.sorted = true
	}
	return q, true, true
}

type geoHit struct {
	e    string
	dist float64
}

// cmdGeoStore stores the members within a distance: exactly when the
// source's members and scores are known and no distance is a hair from
// the limit, else as a range.
func cmdGeoStore(m *Model, a *argv) {
	q, store, ok := parseGeo(a)
	if !ok || !store {
		return
	}
	src := m.k(a, q.src)
	if src.ex != absent && !collection(src, TypeZSet) {
		return
	}
	dst := m.k(a, q.dst)
	if src.ex == absent {
		dst.setAbsent()
		return
	}
	if src.ex != present || src.mem == nil || src.flags&flagScoresUnknown != 0 {
		_, h := src.card()
		if q.count > 0 {
			h = min(h, q.count)
		}
		why := src.cause(reasonGeometry)
		if why == reasonMembersUnknown {
			why = reasonGeometry
		}
		m.forget(dst)
		m.store(dst, TypeZSet, 0, h, why)
		if dst.ex != absent {
			dst.flags |= flagScoresUnknown
		}
		return
	}
	lon, lat := q.lon, q.lat
	if q.member > 0 {
		if a.cut(q.member) {
			m.forget(dst)
			m.store(dst, TypeZSet, 0, src.hi, reasonArgsCut)
			return
		}
		sc, found := src.mem.set[string(a.b(q.member))]
		if !found {
			return // "could not decode requested zset member"
		}
		lon, lat = geoDecode(sc)
	}
	var hits []geoHit
	border := 0
	for e, sc := range src.mem.set {
		x, y := geoDecode(sc)
		var d float64
		in, edge := false, false
		if q.box {
			latD := geoLatDistance(y, lat)
			lonD := geoDistance(x, y, lon, y)
			edge = near(latD, q.h/2) || near(lonD, q.w/2)
			in = latD <= q.h/2 && lonD <= q.w/2
			d = geoDistance(lon, lat, x, y)
		} else {
			d = geoDistance(lon, lat, x, y)
			edge = near(d, q.radius)
			in = d <= q.radius
		}
		switch {
		case edge:
			border++
		case in:
			hits = append(hits, geoHit{e, d})
		}
	}
	n, lo, hi := int64(len(hits)), int64(len(hits)), int64(len(hits)+border)
	known := border == 0
	if q.count > 0 {
		lo, hi = min(lo, q.count), min(hi, q.count)
		if n > q.count {
			// Which members: the nearest (or farthest) count, unless the
			// search stops at any count found, or distances tie at the cut.
			sort.Slice(hits, func(i, j int) bool {
				if q.desc {
					return hits[i].dist > hits[j].dist
				}
				return hits[i].dist < hits[j].dist
			})
			if q.any || hits[q.count-1].dist == hits[q.count].dist {
				known = false
			}
			hits = hits[:q.count]
		}
	}
	if !known {
		m.forget(dst)
		m.store(dst, TypeZSet, lo, hi, reasonGeometry)
		if dst.ex != absent {
			dst.flags |= flagScoresUnknown
			if dst.ex == present {
				dst.why = reasonGeometry
			}
		}
		return
	}
	res := make(map[string]float64, len(hits))
	for _, h := range hits {
		if q.storeDist {
			res[h.e] = h.dist / q.conv
		} else {
			res[h.e] = src.mem.set[h.e]
		}
	}
	// Distances as scores may round apart from the server's.
	m.storeMembers(dst, TypeZSet, res, !q.storeDist, int64(len(res)), int64(len(res)), true, reasonNone)
}
