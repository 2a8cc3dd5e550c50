package redistest_test

import (
	"testing"

	"github.com/aoftool/aoftool/internal/redistest"
)

func TestSharedServersStart(t *testing.T) {
	for _, name := range redistest.SharedServers {
		t.Run(name, func(t *testing.T) {
			bin := redistest.SharedServer(t, name)
			s := redistest.Start(t, redistest.Options{Binary: bin})
			defer s.Stop()
			s.MustDo("SET", "k", "v")
			if got := s.Info("redis_version"); got == "" {
				t.Fatalf("no redis_version in INFO")
			}
		})
	}
}
